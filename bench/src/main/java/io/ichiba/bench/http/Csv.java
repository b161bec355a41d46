package io.ichiba.bench.http;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/** Appends result rows to a CSV file, writing its header first when the file is new or empty. */
final class Csv {
    private Csv() {
    }

    /** Appends {@code row} to {@code file}, after {@code header} if the file has none yet. */
    static void append(Path file, String header, String row) {
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            boolean fresh = !Files.exists(file) || Files.size(file) == 0;
            String text = (fresh ? header + "\n" : "") + row + "\n";
            Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A number with {@code decimals} decimals, dot-separated whatever the locale. */
    static String num(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }
}
