import java.sql.*;
import java.util.*;

public class Probe {
    public static void main(String[] a) throws Exception {
        String url = a[0];
        int n = Integer.parseInt(a[1]);
        int size = Integer.parseInt(a[2]);
        try (Connection c = DriverManager.getConnection(url)) {
            try (Statement s = c.createStatement()) {
                if (url.startsWith("jdbc:sqlite")) {
                    s.execute("PRAGMA journal_mode=WAL");
                    s.execute("PRAGMA synchronous=" + a[3]);
                }
                s.execute("CREATE TABLE IF NOT EXISTS journal_batch (seq BIGINT PRIMARY KEY, epoch BIGINT NOT NULL, body BYTEA NOT NULL)");
            }
            c.setAutoCommit(false);
            byte[] body = new byte[size];
            new Random(1).nextBytes(body);
            long[] lat = new long[n];
            long t0 = System.nanoTime();
            try (PreparedStatement p = c.prepareStatement("INSERT INTO journal_batch (seq, epoch, body) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
                for (int i = 0; i < n; i++) {
                    long s0 = System.nanoTime();
                    p.setLong(1, i + 1); p.setLong(2, 1); p.setBytes(3, body);
                    p.executeUpdate();
                    c.commit();
                    lat[i] = System.nanoTime() - s0;
                }
            }
            long total = System.nanoTime() - t0;
            Arrays.sort(lat);
            System.out.printf("%s n=%d size=%d: %.0f commits/s p50=%.3f ms p99=%.3f ms%n", url + (a.length > 3 ? " sync=" + a[3] : ""), n, size,
                    n / (total / 1e9), lat[n / 2] / 1e6, lat[n * 99 / 100] / 1e6);
        }
    }
}
