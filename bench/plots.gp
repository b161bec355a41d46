# Plots of one run of bench/run.sh: gnuplot -e "dir='docs/bench'" bench/plots.gp
# Reads the CSV files in dir and writes PNG files beside them; a missing file leaves its plot out.
set datafile separator ","
set terminal pngcairo size 900,560 font "sans,10"
set key outside right top
set grid
arms = "hello openapi redis ichiba"
file_exists(f) = int(system("test -s '".f."' && echo 1 || echo 0"))

f = dir."/http-closed.csv"
if (file_exists(f)) {
  set output dir."/http-latency-closed.png"
  set title "Closed loop (wrk): latency against concurrency"
  set xlabel "connections"; set ylabel "latency (ms)"; set logscale y
  set xtics (16, 64)
  plot for [a in arms] f using (strcol(1) eq a ? $2 : 1/0):($5) with linespoints lw 2 title a." p50", \
       for [a in arms] f using (strcol(1) eq a ? $2 : 1/0):($6) with linespoints dt 2 lw 2 title a." p99"
  unset logscale y; set xtics autofreq
}

f = dir."/http-open.csv"
if (file_exists(f)) {
  set output dir."/http-latency-open.png"
  set title "Open loop at fixed rates: grant latency from the intended send time"
  set xlabel "offered rate (claims/s)"; set ylabel "latency (ms)"; set logscale y
  plot for [a in arms] f using (strcol(1) eq a ? $2 : 1/0):($6) with linespoints lw 2 title a." p50", \
       for [a in arms] f using (strcol(1) eq a ? $2 : 1/0):($8) with linespoints dt 2 lw 2 title a." p99", \
       for [a in arms] f using (strcol(1) eq a ? $2 : 1/0):($9) with linespoints dt 3 lw 1 title a." p99.9"
  unset logscale y
}

f = dir."/scale-members.csv"
if (file_exists(f)) {
  set output dir."/scale-members.png"
  set title "Grant throughput against cluster members (processes on loopback)"
  set xlabel "members"; set ylabel "claims/s"; set xtics 1; set yrange [0:*]
  plot f using 1:3 with linespoints lw 2 title "claims/s"
  set xtics autofreq; set yrange [*:*]
}

f = dir."/batch.csv"
if (file_exists(f)) {
  set output dir."/batch.png"
  set multiplot layout 1,2 title "One broker, wrk closed loop: throughput, p99 and the engine's batches"
  set key inside left top
  set title "against connections"
  set xlabel "connections"; set logscale x 2
  set ylabel "claims/s"; set yrange [0:*]; set y2label "p99 (ms), commands per batch"; set y2range [0:*]
  set ytics nomirror; set y2tics
  plot f using 1:3 with linespoints lw 2 title "claims/s", \
       f using 1:5 axes x1y2 with linespoints dt 2 lw 2 title "p99 (ms)", \
       f using 1:9 axes x1y2 with linespoints dt 3 lw 2 title "commands per batch"
  unset logscale x
  set title "against the batch size"
  set xlabel "commands per batch (the engine's mean over the point)"; set y2label "p99 (ms)"
  plot f using 9:3 with linespoints lw 2 title "claims/s", \
       f using 9:5 axes x1y2 with linespoints dt 2 lw 2 title "p99 (ms)"
  unset multiplot
  unset y2tics; unset y2label; set ytics mirror; set yrange [*:*]; set y2range [*:*]
  set key outside right top
}

f = dir."/scale-pools.csv"
if (file_exists(f)) {
  set output dir."/scale-pools.png"
  set title "Grant throughput against the number of pools (one member)"
  set xlabel "pools"; set ylabel "claims/s"; set logscale x; set yrange [0:*]
  plot f using 1:3 with linespoints lw 2 title "claims/s"
  unset logscale x; set yrange [*:*]
}

# Bars per arm: x = the arm's place, hot keys left of it, spread keys right.
arm_x(s) = s eq "jdk" ? 1 : s eq "entryProcessor" ? 2 : s eq "engine" ? 3 : s eq "redis" ? 4 \
  : s eq "entryProcessor2" ? 5 : s eq "engine2" ? 6 : 1/0
err(e) = e == e ? e : 0
do for [t in "1 2"] {
  f = dir."/grant-t".t.".csv"
  if (file_exists(f)) {
    set output dir."/grant-t".t.".png"
    set title "In process: claim+grant+release, ".t." thread(s) (ops/s, log scale, 99.9 % error bars)"
    set style fill solid 0.6 border -1; set boxwidth 0.35
    set logscale y; set yrange [1:*]; set ylabel "ops/s"; set xlabel ""
    set xrange [0.4:6.6]
    set xtics ("jdk" 1, "entryProcessor" 2, "engine" 3, "redis" 4, "entryProcessor2" 5, "engine2" 6)
    # Columns: Benchmark, Mode, Threads, Samples, Score, Error, Unit, arm, keys.
    plot f using (strcol(9) eq "hot" ? arm_x(strcol(8)) - 0.18 : 1/0):5:(err($6)) with boxerrorbars title "hot keys", \
         f using (strcol(9) eq "spread" ? arm_x(strcol(8)) + 0.18 : 1/0):5:(err($6)) with boxerrorbars title "spread keys"
    unset logscale y; set yrange [*:*]; set xrange [*:*]; set xtics autofreq
  }
}
