package io.ichiba.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The memory probe: reads {@code /proc/meminfo} and reports {@code MemTotal} less a system reserve as allocatable,
 * and {@code MemAvailable} as free, in MiB.
 *
 * <p>Notes: the kernel writes {@code kB} for KiB, so MiB are {@code kB / 1024}, rounded down. The reserve keeps
 * memory for the operating system and the agent itself out of the pool; allocatable never goes below 0.
 * {@code MemAvailable} is the kernel's estimate of what a new workload can take without swapping (page cache
 * included); it is reported as measured, so it may exceed allocatable on an idle machine. Only the two lines
 * read are checked: a missing one, a value that is not a whole number of {@code kB}, or a line given twice is a
 * {@link ProbeException} naming the file and line.
 */
public final class MemInfoProbe implements Probe {
    /** Where Linux publishes memory statistics. */
    public static final Path PROC_MEMINFO = Path.of("/proc/meminfo");
    /** The default system reserve, MiB. */
    public static final long DEFAULT_RESERVE_MIB = 512;
    /** The kind this probe reports. */
    public static final String KIND = "memory";

    private static final String TOTAL = "MemTotal";
    private static final String AVAILABLE = "MemAvailable";
    private static final Pattern LINE = Pattern.compile("([A-Za-z0-9_()]+):\\s*(.*)");
    private static final Pattern VALUE = Pattern.compile("(\\S+)(?:\\s+(\\S+))?");
    private static final long MAX_KB = Long.MAX_VALUE / 1024;

    private final Path path;
    private final long reserveMib;

    /**
     * Creates a probe of the file at {@code path}.
     *
     * @param path       {@link #PROC_MEMINFO}, or a sample file in tests
     * @param reserveMib MiB kept out of the pool for the system, 0 or more
     */
    public MemInfoProbe(Path path, long reserveMib) {
        if (path == null) {
            throw new IllegalArgumentException("the meminfo path must be given");
        }
        if (reserveMib < 0) {
            throw new IllegalArgumentException("the memory reserve must be 0 MiB or more, was " + reserveMib);
        }
        this.path = path;
        this.reserveMib = reserveMib;
    }

    @Override
    public String kind() {
        return KIND;
    }

    /** The file this probe reads. */
    public Path path() {
        return path;
    }

    /** The MiB kept out of the pool. */
    public long reserveMib() {
        return reserveMib;
    }

    @Override
    public Reading read() throws ProbeException {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            throw new ProbeException(KIND + ": cannot read " + path + ": " + e, e);
        }
        return parse(text, reserveMib, path.toString());
    }

    /**
     * Reads a {@code /proc/meminfo} text.
     *
     * @param text       the file's content
     * @param reserveMib MiB kept out of the pool
     * @param source     the file's name, for messages
     * @throws ProbeException when {@code MemTotal} or {@code MemAvailable} is missing, given twice, not a whole
     *                        number of kB, or when more is available than there is in total
     */
    public static Reading parse(String text, long reserveMib, String source) throws ProbeException {
        if (text == null || text.isBlank()) {
            throw new ProbeException(KIND + ": " + source + " is empty");
        }
        long totalKb = -1;
        long availableKb = -1;
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher m = LINE.matcher(lines[i].strip());
            if (!m.matches()) {
                continue;
            }
            String key = m.group(1);
            if (!key.equals(TOTAL) && !key.equals(AVAILABLE)) {
                continue;
            }
            long kb = kilobytes(m.group(2), source, i + 1, lines[i]);
            if (key.equals(TOTAL)) {
                totalKb = once(totalKb, kb, source, i + 1, lines[i]);
            } else {
                availableKb = once(availableKb, kb, source, i + 1, lines[i]);
            }
        }
        if (totalKb < 0) {
            throw new ProbeException(KIND + ": " + source + " has no " + TOTAL + " line (truncated, or not a "
                    + "Linux /proc/meminfo?)");
        }
        if (availableKb < 0) {
            throw new ProbeException(KIND + ": " + source + " has no " + AVAILABLE + " line (truncated, or a "
                    + "kernel older than 3.14?)");
        }
        if (availableKb > totalKb) {
            throw new ProbeException(KIND + ": " + source + " says " + AVAILABLE + " " + availableKb + " kB is more "
                    + "than " + TOTAL + " " + totalKb + " kB");
        }
        long totalMib = totalKb / 1024;
        return new Reading(KIND, Math.max(0, totalMib - reserveMib), availableKb / 1024);
    }

    private static long kilobytes(String rest, String source, int lineNo, String line) throws ProbeException {
        Matcher v = VALUE.matcher(rest.strip());
        if (rest.isBlank()) {
            throw malformed(source, lineNo, line, "no value");
        }
        if (!v.matches()) {
            throw malformed(source, lineNo, line, "expected '<whole number> kB'");
        }
        String number = v.group(1);
        String unit = v.group(2);
        if (!number.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw malformed(source, lineNo, line, "'" + number + "' is not a whole number");
        }
        if (!"kB".equals(unit)) {
            throw malformed(source, lineNo, line, unit == null ? "no unit, expected kB" : "unit '" + unit
                    + "', expected kB");
        }
        long kb;
        try {
            kb = Long.parseLong(number);
        } catch (NumberFormatException e) {
            throw malformed(source, lineNo, line, "'" + number + "' is too large");
        }
        if (kb > MAX_KB) {
            throw malformed(source, lineNo, line, "'" + number + "' is too large");
        }
        return kb;
    }

    private static long once(long previous, long kb, String source, int lineNo, String line) throws ProbeException {
        if (previous >= 0) {
            throw malformed(source, lineNo, line, "given twice");
        }
        return kb;
    }

    private static ProbeException malformed(String source, int lineNo, String line, String why) {
        return new ProbeException(KIND + ": " + source + " line " + lineNo + " '" + line.strip() + "': " + why);
    }

    @Override
    public String toString() {
        return "MemInfoProbe[" + path + ", reserve " + reserveMib + " MiB]";
    }
}
