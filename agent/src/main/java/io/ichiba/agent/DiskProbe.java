package io.ichiba.agent;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The disk probe: sums, over the distinct file stores of the configured mounts, the total space less a reserve as
 * allocatable and the usable space as free, in MiB.
 *
 * <p>Notes: two mounts on the same file system (two directories of one disk, or a bind mount) count once. A
 * store is known by the device id of the path ({@code unix:dev}) where the platform has one, else by its
 * {@link FileStore}. Usable space is what this process may still write (it leaves out the blocks root keeps in
 * reserve), so free is at most the total. The reserve ({@code --disk-reserve-mib}) keeps space for the system
 * and the jobs' logs out of the pool, as the memory reserve does: it lowers allocatable (never below 0) but not
 * the measured free amount, so outside use that fits in the reserve withholds nothing at the broker. A mount that does not exist or cannot be read fails the whole
 * reading, naming every such mount, rather than silently reporting a smaller disk.
 */
public final class DiskProbe implements Probe {
    /** The kind this probe reports. */
    public static final String KIND = "disk";

    private static final long MIB = 1024 * 1024;

    private final List<Path> mounts;
    private final long reserveMib;

    /**
     * Creates a probe of the file stores of {@code mounts}, with no reserve.
     *
     * @param mounts one path or more on each file system whose space the broker may grant
     */
    public DiskProbe(List<Path> mounts) {
        this(mounts, 0);
    }

    /**
     * Creates a probe of the file stores of {@code mounts} that keeps {@code reserveMib} out of the pool.
     *
     * @param mounts     one path or more on each file system whose space the broker may grant
     * @param reserveMib MiB subtracted from the total to make allocatable, 0 or more
     */
    public DiskProbe(List<Path> mounts, long reserveMib) {
        if (mounts == null || mounts.isEmpty()) {
            throw new IllegalArgumentException("the disk probe needs at least one mount");
        }
        if (reserveMib < 0) {
            throw new IllegalArgumentException("the disk reserve must be 0 MiB or more, was " + reserveMib);
        }
        this.mounts = List.copyOf(mounts);
        this.reserveMib = reserveMib;
    }

    @Override
    public String kind() {
        return KIND;
    }

    /** The configured mounts. */
    public List<Path> mounts() {
        return mounts;
    }

    /** The MiB kept out of the pool. */
    public long reserveMib() {
        return reserveMib;
    }

    @Override
    public Reading read() throws ProbeException {
        Map<Object, FileStore> stores = new LinkedHashMap<>();
        List<String> errors = new ArrayList<>();
        for (Path mount : mounts) {
            try {
                if (!Files.exists(mount)) {
                    errors.add("mount " + mount + " does not exist");
                    continue;
                }
                FileStore store = Files.getFileStore(mount);
                stores.putIfAbsent(identity(mount, store), store);
            } catch (IOException | RuntimeException e) {
                errors.add("mount " + mount + " cannot be read: " + e);
            }
        }
        if (!errors.isEmpty()) {
            throw new ProbeException(KIND + ": " + String.join("; ", errors));
        }
        long totalBytes = 0;
        long usableBytes = 0;
        for (FileStore store : stores.values()) {
            try {
                totalBytes = Math.addExact(totalBytes, store.getTotalSpace());
                usableBytes = Math.addExact(usableBytes, store.getUsableSpace());
            } catch (IOException | RuntimeException e) {
                throw new ProbeException(KIND + ": file store " + store + " cannot be measured: " + e, e);
            }
        }
        long total = totalBytes / MIB;
        return new Reading(KIND, Math.max(0, total - reserveMib), Math.min(total, usableBytes / MIB));
    }

    /** The device id where there is one: two paths on one file system have the same, bind mounts included. */
    private static Object identity(Path mount, FileStore store) {
        try {
            Object dev = Files.getAttribute(mount, "unix:dev");
            if (dev != null) {
                return dev;
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            // not a Unix file system view: the FileStore's own equality has to do
        }
        return store;
    }

    @Override
    public String toString() {
        return "DiskProbe" + mounts + (reserveMib == 0 ? "" : "[reserve " + reserveMib + " MiB]");
    }
}
