package io.ichiba.agent;

import io.ichiba.api.Wire;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The runner's state files: one small JSON file per job it holds, {@code <workDir>/<job-id>/runner-state.json},
 * from just before it asks to start the job until the broker has taken the job's end. A restarted runner reads
 * them to find its processes again ({@link Runner}).
 *
 * <p>Notes: a file is replaced atomically (written beside, then moved over), so a crash leaves the old record or
 * the new one, never half of one. Job ids come from the broker; only ids that match the contract's pattern
 * ({@code [A-Za-z0-9-]{1,64}}) are turned into paths, so no id can name a file outside the work directory.
 */
final class JobRecords {
    /** The state file's name inside a job's directory. */
    static final String FILE = "runner-state.json";
    /** The job's output, inside its directory. */
    static final String LOG = "output.log";
    /** What a job id must look like to become a directory name. */
    static final Pattern ID = Pattern.compile("^[A-Za-z0-9-]{1,64}$");

    /**
     * What the runner knows of one job.
     *
     * @param job          the job's id
     * @param pid          the process id, {@code null} until the process is started
     * @param processStart when the process started, as the OS says ({@link ProcessHandle.Info#startInstant()}):
     *                     tells the job's process from another that got the same pid later
     * @param leaseSeconds the job's lease, to renew an adopted process at the right pace
     * @param exitCode     the exit code once the process ended, if known
     * @param error        why the job ended without an exit code (could not start, exit code unknown)
     */
    record JobRecord(String job, Long pid, Instant processStart, long leaseSeconds, Integer exitCode, String error) {
        /** Checks the id. */
        JobRecord {
            if (job == null || !ID.matcher(job).matches()) {
                throw new IllegalArgumentException("not a job id: " + job);
            }
        }

        /** Whether the process has ended and how is known: the record only waits for the broker to take it. */
        boolean ended() {
            return exitCode != null || error != null;
        }
    }

    /**
     * One state file found by {@link #scan()}: its job (the directory's name) and the record, or why it could not be
     * read.
     */
    record Found(String job, JobRecord record, String problem) {
    }

    /** The directory a job run as another user works in, inside its directory. */
    static final String WORK = "work";

    private final Path workDir;
    private final boolean otherUsers;

    /** The state files under {@code workDir}; jobs run as the runner's user. */
    JobRecords(Path workDir) {
        this(workDir, false);
    }

    /**
     * The state files under {@code workDir}; with {@code otherUsers}, some jobs run as other users: the work directory
     * and each job's directory may be entered, not listed, by others (0711), so that a job reaches its own
     * {@value #WORK} directory, and the runner's files in them are its user's alone (0600).
     */
    JobRecords(Path workDir, boolean otherUsers) {
        this.workDir = Objects.requireNonNull(workDir, "workDir");
        this.otherUsers = otherUsers;
    }

    /** Whether {@code id} can name a job directory. */
    static boolean validId(String id) {
        return id != null && ID.matcher(id).matches();
    }

    /** The job's directory: its working directory and where its log and state live. */
    Path dir(String job) {
        if (!validId(job)) {
            throw new IllegalArgumentException("not a job id: " + job);
        }
        return workDir.resolve(job);
    }

    /** The job's output file. */
    Path log(String job) {
        return dir(job).resolve(LOG);
    }

    /**
     * Only the runner's user may list, read or enter a job's directory: no other user of the machine reads a job's
     * output (jobs that run as the runner's user are not kept from each other by this; with {@code --run-as}, each
     * job's {@value #WORK} directory is its user's alone).
     */
    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> PRIVATE =
            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------");

    /**
     * Creates the job's directory if it is not there, readable by the runner's user alone (0700, where the file
     * system has POSIX permissions; 0711 when jobs run as other users, to reach their work directory); answers it.
     */
    Path createDir(String job) throws IOException {
        Path dir = dir(job);
        Files.createDirectories(workDir);
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectory(dir);
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // made by another call: its permissions are set below
            }
        }
        if (posix(dir)) {
            Files.setPosixFilePermissions(dir, otherUsers ? ENTER_ONLY : PRIVATE); // not left to the umask
            if (otherUsers) {
                Files.setPosixFilePermissions(workDir, ENTER_ONLY); // job ids are not listed to the jobs
            }
        }
        return dir;
    }

    /**
     * Creates the directory a job run as {@code user} works in, {@code <job>/work}, owned by that user and group and
     * theirs alone (0700), and the job's log, the runner's alone (0600: the job writes it through the descriptor
     * the runner opens); answers the work directory.
     */
    Path createWorkDir(String job, String user, String group) throws IOException {
        Path dir = createDir(job);
        Path work = dir.resolve(WORK);
        if (!Files.isDirectory(work)) {
            Files.createDirectory(work);
        }
        java.nio.file.attribute.UserPrincipalLookupService users = work.getFileSystem().getUserPrincipalLookupService();
        java.nio.file.attribute.PosixFileAttributeView view = Files.getFileAttributeView(work,
                java.nio.file.attribute.PosixFileAttributeView.class);
        view.setOwner(users.lookupPrincipalByName(user));
        view.setGroup(users.lookupPrincipalByGroupName(group));
        Files.setPosixFilePermissions(work, PRIVATE);
        Path log = log(job);
        if (!Files.exists(log)) {
            Files.createFile(log);
        }
        Files.setPosixFilePermissions(log, OWNER_FILE);
        return work;
    }

    private static boolean posix(Path p) throws IOException {
        return Files.getFileStore(p).supportsFileAttributeView(java.nio.file.attribute.PosixFileAttributeView.class);
    }

    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> ENTER_ONLY =
            java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x");
    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> OWNER_FILE =
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------");

    /** Writes (or replaces) the job's record, creating its directory. */
    void write(JobRecord r) throws IOException {
        Path dir = createDir(r.job());
        Path tmp = dir.resolve(FILE + ".tmp");
        Files.write(tmp, Wire.JSON.writeValueAsBytes(r));
        if (posix(tmp)) {
            Files.setPosixFilePermissions(tmp, OWNER_FILE); // the runner's alone, whoever the job runs as
        }
        try {
            Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Reads the job's record, or {@code null} when there is none. */
    JobRecord read(String job) throws IOException {
        try {
            return Wire.JSON.readValue(Files.readAllBytes(dir(job).resolve(FILE)), JobRecord.class);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Removes the job's record (its log stays); nothing happens when there is none. */
    void delete(String job) throws IOException {
        Files.deleteIfExists(dir(job).resolve(FILE));
    }

    /** Removes the job's record, and its directory if nothing else is in it (a job that never ran). */
    void deleteAll(String job) throws IOException {
        delete(job);
        try {
            Files.deleteIfExists(dir(job));
        } catch (java.nio.file.DirectoryNotEmptyException e) {
            // the job left a log or files: they stay
        }
    }

    /** Every record under the work directory; an unreadable one is returned with its problem. */
    List<Found> scan() throws IOException {
        List<Found> out = new ArrayList<>();
        if (!Files.isDirectory(workDir)) {
            return out;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(workDir, Files::isDirectory)) {
            for (Path d : dirs) {
                String job = d.getFileName().toString();
                Path f = d.resolve(FILE);
                if (!validId(job) || !Files.exists(f)) {
                    continue;
                }
                try {
                    JobRecord r = Wire.JSON.readValue(Files.readAllBytes(f), JobRecord.class);
                    out.add(r.job().equals(job) ? new Found(job, r, null)
                            : new Found(job, null, f + " names job " + r.job()));
                } catch (IOException | RuntimeException e) {
                    out.add(new Found(job, null, f + " cannot be read: " + e.getMessage()));
                }
            }
        }
        out.sort((a, b) -> a.job().compareTo(b.job()));
        return out;
    }
}
