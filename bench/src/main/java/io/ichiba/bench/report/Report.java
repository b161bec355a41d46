package io.ichiba.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes the measured sections of {@code docs/benchmarks.md} from the CSV files of one run of {@code bench/run.sh}.
 *
 * <p>The write-up is prose around sections marked {@code <!-- generated:NAME -->} … {@code <!-- /generated:NAME -->};
 * this replaces what is between each pair and leaves the prose alone. A section whose files are missing says that
 * it was not measured in this run.
 *
 * <p>Usage: {@code Report RESULTS_DIR MARKDOWN_FILE}.
 */
public final class Report {
    private static final Pattern SECTION = Pattern.compile(
            "(<!-- generated:([a-z0-9-]+) -->\\n)(.*?)(<!-- /generated:\\2 -->)", Pattern.DOTALL);
    private static final String[] GRANT_ARMS = {"jdk", "entryProcessor", "engine", "redis", "entryProcessor2", "engine2"};
    /** The thread counts of the in-process grant runs ({@code grant-tN.csv}); 64 runs the Hazelcast arms only. */
    private static final String[] GRANT_THREADS = {"1", "2", "64"};

    private final Path dir;

    private Report(Path dir) {
        this.dir = dir;
    }

    /** Rewrites the generated sections of {@code args[1]} from the results in {@code args[0]}. */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Path md = Path.of(args[1]);
        Report r = new Report(dir);
        Map<String, String> sections = r.sections();
        String text = Files.readString(md);
        Matcher m = SECTION.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String body = sections.getOrDefault(m.group(2), "_No generator for this section._\n");
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + body + m.group(4)));
        }
        m.appendTail(out);
        Files.writeString(md, out.toString());
    }

    private Csv csv(String name) throws IOException {
        return Csv.read(dir.resolve(name));
    }

    Map<String, String> sections() throws IOException {
        Map<String, String> s = new LinkedHashMap<>();
        Path machine = dir.resolve("machine.txt");
        s.put("machine", Files.exists(machine) ? "```\n" + Files.readString(machine).strip() + "\n```\n" : missing());
        s.put("grant", grant());
        s.put("grant-ratios", grantRatios());
        s.put("before-after", beforeAfter());
        s.put("http-closed", httpClosed());
        s.put("http-open", httpOpen());
        s.put("budget", budget());
        s.put("book", jmhTable(csv("book.csv")));
        s.put("market", jmhTable(csv("market.csv")));
        s.put("admission", sampled(csv("admission.csv")));
        s.put("scale-members", plain(csv("scale-members.csv")));
        s.put("scale-pools", plain(csv("scale-pools.csv")));
        s.put("batch", plain(csv("batch.csv")));
        s.put("memory", plain(csv("memory.csv")));
        return s;
    }

    private static String missing() {
        return "_Not measured in this run._\n";
    }

    // ------------------------------------------------------------------ in-process grants

    /** The JMH score of a grant arm, or null. */
    private Map<String, String> grantRow(Csv jmh, String arm, String keys) {
        return jmh.where("Param: arm", arm).where("Param: keys", keys).first();
    }

    private String grant() throws IOException {
        StringBuilder b = new StringBuilder();
        for (String t : GRANT_THREADS) {
            Csv jmh = csv("grant-t" + t + ".csv");
            if (jmh.isEmpty()) {
                continue;
            }
            b.append("\n**").append(t).append(t.equals("1") ? " thread" : " threads")
                    .append("** (ops/s, ± 99.9 % confidence interval)\n\n");
            b.append("| arm | hot keys | spread keys |\n|---|---:|---:|\n");
            for (String arm : GRANT_ARMS) {
                if (grantRow(jmh, arm, "hot") == null && grantRow(jmh, arm, "spread") == null) {
                    continue;
                }
                b.append("| ").append(arm).append(" | ").append(score(grantRow(jmh, arm, "hot")))
                        .append(" | ").append(score(grantRow(jmh, arm, "spread"))).append(" |\n");
            }
        }
        return b.isEmpty() ? missing() : b.toString();
    }

    private String grantRatios() throws IOException {
        StringBuilder b = new StringBuilder("| threads, keys | engine ÷ entryProcessor | engine2 ÷ entryProcessor2 "
                + "| entryProcessor ÷ jdk | engine ÷ redis |\n|---|---:|---:|---:|---:|\n");
        boolean any = false;
        for (String t : GRANT_THREADS) {
            Csv jmh = csv("grant-t" + t + ".csv");
            for (String keys : new String[] {"hot", "spread"}) {
                if (grantRow(jmh, "engine", keys) == null) {
                    continue;
                }
                any = true;
                b.append("| ").append(t).append(", ").append(keys).append(" | ")
                        .append(ratio(jmh, keys, "engine", "entryProcessor")).append(" | ")
                        .append(ratio(jmh, keys, "engine2", "entryProcessor2")).append(" | ")
                        .append(ratio(jmh, keys, "entryProcessor", "jdk")).append(" | ")
                        .append(ratio(jmh, keys, "engine", "redis")).append(" |\n");
            }
        }
        return any ? b.toString() : missing();
    }

    private String ratio(Csv jmh, String keys, String a, String over) {
        return ratio(Csv.num(grantRow(jmh, a, keys), "Score"), Csv.num(grantRow(jmh, over, keys), "Score"));
    }

    private String beforeAfter() throws IOException {
        Csv before = csv("grant-before.csv");
        Csv after = csv("grant-t1.csv");
        if (before.isEmpty() || after.isEmpty()) {
            return missing();
        }
        StringBuilder b = new StringBuilder("| arm, keys (1 thread) | before (ops/s) | after (ops/s) | after ÷ before |\n"
                + "|---|---:|---:|---:|\n");
        // the ledger replicated was the per-key store before the engine (arm hazelcast), and is the engine now
        for (String[] arms : new String[][] {{"hazelcast", "engine"}, {"engine", "engine"}}) {
            for (String keys : new String[] {"hot", "spread"}) {
                Map<String, String> x = grantRow(before, arms[0], keys);
                Map<String, String> y = grantRow(after, arms[1], keys);
                if (x == null || y == null) {
                    continue;
                }
                String arm = arms[0].equals(arms[1]) ? arms[0] : arms[0] + " → " + arms[1];
                b.append("| ").append(arm).append(", ").append(keys).append(" | ").append(score(x)).append(" | ")
                        .append(score(y)).append(" | ")
                        .append(ratio(Csv.num(y, "Score"), Csv.num(x, "Score"))).append(" |\n");
            }
        }
        return b.toString();
    }

    // ------------------------------------------------------------------ HTTP

    private String httpClosed() throws IOException {
        Csv c = csv("http-closed.csv");
        if (c.isEmpty()) {
            return missing();
        }
        StringBuilder b = new StringBuilder(plain(c));
        b.append("\n| connections | ichiba ÷ hello | openapi ÷ hello | redis ÷ hello | ichiba ÷ redis "
                + "| ichiba-durable ÷ ichiba |\n|---:|---:|---:|---:|---:|---:|\n");
        for (String conns : c.rows().stream().map(r -> r.get("connections")).distinct().toList()) {
            Csv at = c.where("connections", conns);
            double hello = claims(at, "hello");
            double openapi = claims(at, "openapi");
            double redis = claims(at, "redis");
            double ichiba = claims(at, "ichiba");
            b.append("| ").append(conns).append(" | ").append(ratio(ichiba, hello)).append(" | ")
                    .append(ratio(openapi, hello)).append(" | ").append(ratio(redis, hello)).append(" | ")
                    .append(ratio(ichiba, redis)).append(" | ").append(ratio(claims(at, "ichiba-durable"), ichiba))
                    .append(" |\n");
        }
        return b.toString();
    }

    private static double claims(Csv at, String arm) {
        return Csv.num(at.where("arm", arm).first(), "claims_per_s");
    }

    private String httpOpen() throws IOException {
        Csv c = csv("http-open.csv");
        return c.isEmpty() ? missing() : plain(c);
    }

    /**
     * The budget of one request at the lowest open-loop rate (the machine nearly idle): the hello route's median
     * is HTTP; the OpenAPI route's minus hello's is the contract's validation; Ichiba's minus the OpenAPI route's
     * is the rest: the hop to the engine, the ledger and the journal's replicated write.
     */
    private String budget() throws IOException {
        Csv open = csv("http-open.csv");
        if (open.isEmpty()) {
            return missing();
        }
        double lowest = open.rows().stream().mapToDouble(r -> Csv.num(r, "rate")).min().orElse(Double.NaN);
        Csv at = open.where(r -> Csv.num(r, "rate") == lowest);
        double hello = Csv.num(at.where("arm", "hello").first(), "p50_ms");
        double openapi = Csv.num(at.where("arm", "openapi").first(), "p50_ms");
        double ichiba = Csv.num(at.where("arm", "ichiba").first(), "p50_ms");
        double redis = Csv.num(at.where("arm", "redis").first(), "p50_ms");
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Medians at %s claims/s, open loop.%n%n", fmt(lowest)));
        b.append("| part | ms | how it is measured |\n|---|---:|---|\n");
        b.append(row("HTTP (Vert.x, JSON)", hello, "hello route p50"));
        b.append(row("contract validation (OpenAPI router)", openapi - hello, "openapi p50 − hello p50"));
        b.append(row("the engine: the hop to it, the ledger, the journal's replicated write", ichiba - openapi,
                "ichiba p50 − openapi p50"));
        b.append(row("whole Ichiba request", ichiba, "ichiba p50"));
        b.append(row("Redis Lua behind the same router", redis, "redis p50"));
        return b.toString();
    }

    private static String row(String part, double ms, String how) {
        return "| " + part + " | " + fmt(ms) + " | " + how + " |\n";
    }

    // ------------------------------------------------------------------ generic tables

    /** The {@code Param: } columns of a JMH CSV. */
    private static List<String> params(Csv jmh) {
        List<String> params = new ArrayList<>();
        jmh.rows().get(0).keySet().stream().filter(k -> k.startsWith("Param: ")).forEach(params::add);
        return params;
    }

    /** The head of a table: the benchmark, its parameters, then {@code columns} aligned by {@code align}. */
    private static StringBuilder header(List<String> params, String columns, String align) {
        StringBuilder b = new StringBuilder("| benchmark | ");
        params.forEach(p -> b.append(p.substring(7)).append(" | "));
        b.append(columns).append("\n|---|");
        params.forEach(p -> b.append("---:|"));
        return b.append(align).append("\n");
    }

    /** A JMH CSV as a table: the benchmark's method, its parameters, threads, score ± error and unit. */
    static String jmhTable(Csv jmh) {
        if (jmh.isEmpty()) {
            return missing();
        }
        List<String> params = params(jmh);
        StringBuilder b = header(params, "threads | mode | score ± error | unit |", "---:|---|---:|---|");
        for (Map<String, String> r : jmh.rows()) {
            String name = r.get("Benchmark");
            b.append("| ").append(name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1)).append(" | ");
            params.forEach(p -> b.append(r.get(p)).append(" | "));
            b.append(r.get("Threads")).append(" | ").append(r.get("Mode")).append(" | ").append(score(r))
                    .append(" | ").append(r.get("Unit")).append(" |\n");
        }
        return b.toString();
    }

    /**
     * A JMH CSV of {@code SampleTime} benchmarks, one row per benchmark and parameters: mean ± error, and the
     * percentiles p50, p99 and the largest sample (JMH writes each percentile as a row of its own).
     */
    static String sampled(Csv jmh) {
        if (jmh.isEmpty()) {
            return missing();
        }
        List<String> params = params(jmh);
        StringBuilder b = header(params, "samples | mean ± error | p50 | p99 | max | unit |",
                "---:|---:|---:|---:|---:|---|");
        for (Map<String, String> r : jmh.rows()) {
            String name = r.get("Benchmark");
            if (name.contains(":")) {
                continue; // a percentile row, read below with its benchmark
            }
            Csv same = jmh.where(x -> params.stream().allMatch(p -> r.get(p).equals(x.get(p))));
            b.append("| ").append(name.substring(name.lastIndexOf('.') + 1)).append(" | ");
            params.forEach(p -> b.append(r.get(p)).append(" | "));
            b.append(r.get("Samples")).append(" | ").append(score(r)).append(" | ")
                    .append(fmt(percentile(same, name, "0.50"))).append(" | ")
                    .append(fmt(percentile(same, name, "0.99"))).append(" | ")
                    .append(fmt(percentile(same, name, "1.00"))).append(" | ").append(r.get("Unit")).append(" |\n");
        }
        return b.toString();
    }

    private static double percentile(Csv rows, String benchmark, String p) {
        for (Map<String, String> r : rows.rows()) {
            String n = r.get("Benchmark");
            if (n.startsWith(benchmark + ":") && n.endsWith("p" + p)) {
                return Csv.num(r, "Score");
            }
        }
        return Double.NaN;
    }

    /** A CSV as a Markdown table, numbers rounded. */
    static String plain(Csv c) {
        if (c.isEmpty()) {
            return missing();
        }
        List<String> cols = new ArrayList<>(c.rows().get(0).keySet());
        StringBuilder b = new StringBuilder("| ");
        cols.forEach(k -> b.append(k).append(" | "));
        b.append("\n|");
        cols.forEach(k -> b.append("---|"));
        b.append("\n");
        for (Map<String, String> r : c.rows()) {
            b.append("| ");
            cols.forEach(k -> {
                double v = Csv.num(r, k);
                b.append(Double.isNaN(v) ? r.get(k) : fmt(v)).append(" | ");
            });
            b.append("\n");
        }
        return b.toString();
    }

    static String score(Map<String, String> row) {
        if (row == null) {
            return "–";
        }
        double s = Csv.num(row, "Score");
        double e = Csv.num(row, "Score Error (99.9%)");
        return Double.isNaN(e) ? fmt(s) : fmt(s) + " ± " + fmt(e);
    }

    static String ratio(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b) || b == 0) {
            return "–";
        }
        double r = a / b;
        return r >= 0.1 ? String.format(Locale.ROOT, "%.2f", r) : String.format(Locale.ROOT, "%.2g", r);
    }

    /** Three significant digits, thousands separated. */
    static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        double a = Math.abs(v);
        if (v == Math.rint(v) && a < 1e15) {
            return String.format(Locale.ROOT, "%,d", (long) v);
        }
        if (a >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
