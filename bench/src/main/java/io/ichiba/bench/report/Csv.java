package io.ichiba.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A CSV file with a header, as JMH ({@code -rf csv}) and the benchmark scripts write them: rows as maps from column
 * to text. Quoted fields may hold commas; no field holds a newline.
 *
 * @param rows the rows, in file order
 */
public record Csv(List<Map<String, String>> rows) {

    /** Reads {@code file}; a missing file is an empty table. */
    public static Csv read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return new Csv(List.of());
        }
        List<String> lines = Files.readAllLines(file);
        if (lines.isEmpty()) {
            return new Csv(List.of());
        }
        List<String> header = split(lines.get(0));
        List<Map<String, String>> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            List<String> cells = split(line);
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < header.size(); i++) {
                row.put(header.get(i), i < cells.size() ? cells.get(i) : "");
            }
            rows.add(row);
        }
        return new Csv(rows);
    }

    /** The rows that pass {@code filter}. */
    public Csv where(Predicate<Map<String, String>> filter) {
        return new Csv(rows.stream().filter(filter).toList());
    }

    /** The rows whose {@code column} is {@code value}. */
    public Csv where(String column, String value) {
        return where(r -> value.equals(r.get(column)));
    }

    /** The first row, or {@code null}. */
    public Map<String, String> first() {
        return rows.isEmpty() ? null : rows.get(0);
    }

    /** Whether there are no rows. */
    public boolean isEmpty() {
        return rows.isEmpty();
    }

    /** The number in {@code column} of {@code row}, or NaN when absent or not a number. */
    public static double num(Map<String, String> row, String column) {
        if (row == null || row.get(column) == null) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(row.get(column).trim());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    static List<String> split(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (ch == '"') {
                quoted = !quoted;
            } else if (ch == ',' && !quoted) {
                out.add(cell.toString());
                cell.setLength(0);
            } else {
                cell.append(ch);
            }
        }
        out.add(cell.toString());
        return out;
    }
}
