package io.ichiba.ledger.jdbc;

import org.junit.jupiter.api.Assumptions;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The PostgreSQL the tests of the durable journal run against: {@code ICHIBA_TEST_DB_URL} (with
 * {@code ICHIBA_TEST_DB_USER}, {@code ICHIBA_TEST_DB_PASSWORD}), which {@code .ci/run} starts from Debian's package.
 * Without it the tests are skipped with a message, except under CI ({@code CI=true}), where they fail.
 */
public final class TestPostgres {
    private TestPostgres() {
    }

    /** The URL, or the test is skipped (failed under CI). */
    public static String url() {
        String url = System.getenv("ICHIBA_TEST_DB_URL");
        if (url == null || url.isBlank()) {
            String why = "no PostgreSQL for this test: set ICHIBA_TEST_DB_URL, ICHIBA_TEST_DB_USER and "
                    + "ICHIBA_TEST_DB_PASSWORD (.ci/run starts one from Debian's postgresql package)";
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(why);
            }
            Assumptions.abort(why);
        }
        return url;
    }

    /** The user. */
    public static String user() {
        return System.getenv().getOrDefault("ICHIBA_TEST_DB_USER", "ichiba");
    }

    /** The password. */
    public static String password() {
        return System.getenv().getOrDefault("ICHIBA_TEST_DB_PASSWORD", "");
    }

    /** A plain connection. */
    public static Connection connect() throws SQLException {
        return DriverManager.getConnection(url(), user(), password());
    }

    /** Drops what the journal and its migrations made, so that the next store starts empty. */
    public static void empty() {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA public CASCADE"); // whatever the migrations made, and the history of them
            s.execute("CREATE SCHEMA public");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot empty the test database: " + e, e);
        }
    }

    /** A store over the test database as it is. */
    public static DurableStore store() {
        return DurableStore.remote(url(), user(), password(), java.time.Clock.systemUTC());
    }
}
