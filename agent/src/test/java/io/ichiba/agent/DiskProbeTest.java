package io.ichiba.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class DiskProbeTest {
    private static final long MIB = 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void measuresTheFileStoreOfADirectory() throws Exception {
        FileStore store = Files.getFileStore(dir);

        Probe.Reading r = new DiskProbe(List.of(dir)).read();

        assertThat(r.kind()).isEqualTo("disk");
        assertThat(r.allocatable()).isPositive().isEqualTo(store.getTotalSpace() / MIB);
        assertThat(r.free()).isLessThanOrEqualTo(r.allocatable());
        // usable space moves as other processes write: compare within 1 GiB
        assertThat(r.free()).isBetween(store.getUsableSpace() / MIB - 1024, store.getUsableSpace() / MIB + 1024);
    }

    @Test
    void twoMountsOnTheSameFileStoreCountOnce() throws Exception {
        Path a = Files.createDirectory(dir.resolve("a"));
        Path b = Files.createDirectories(dir.resolve("b/deeper"));

        Probe.Reading one = new DiskProbe(List.of(a)).read();
        Probe.Reading two = new DiskProbe(List.of(a, b, dir)).read();

        assertThat(two.allocatable()).isEqualTo(one.allocatable());
        assertThat(two.free()).isBetween(one.free() - 1024, one.free() + 1024);
    }

    @Test
    void twoDistinctFileStoresAreSummed() throws Exception {
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && !Files.getFileStore(shm).equals(Files.getFileStore(dir))
                && Files.getFileStore(shm).getTotalSpace() >= MIB, "needs /dev/shm on a file store of its own");

        Probe.Reading tmp = new DiskProbe(List.of(dir)).read();
        Probe.Reading memory = new DiskProbe(List.of(shm)).read();
        Probe.Reading both = new DiskProbe(List.of(dir, shm, dir.resolve("."))).read();

        assertThat(both.allocatable()).isBetween(tmp.allocatable() + memory.allocatable(),
                tmp.allocatable() + memory.allocatable() + 1);
    }

    @Test
    void aFileAsMountMeasuresItsFileStore() throws IOException, ProbeException {
        Path file = Files.writeString(dir.resolve("f"), "x");

        assertThat(new DiskProbe(List.of(file)).read().allocatable())
                .isEqualTo(new DiskProbe(List.of(dir)).read().allocatable());
    }

    @Test
    void aMissingMountIsAClearErrorNamingIt() {
        Path missing = dir.resolve("not-mounted");
        Path alsoMissing = dir.resolve("gone");

        assertThatThrownBy(() -> new DiskProbe(List.of(dir, missing, alsoMissing)).read())
                .isInstanceOf(ProbeException.class)
                .hasMessage("disk: mount " + missing + " does not exist; mount " + alsoMissing + " does not exist");
    }

    @Test
    void aMountThatComesBackIsMeasuredAgain() throws Exception {
        Path later = dir.resolve("later");
        DiskProbe probe = new DiskProbe(List.of(later));
        assertThatThrownBy(probe::read).isInstanceOf(ProbeException.class);

        Files.createDirectory(later);

        assertThat(probe.read().allocatable()).isPositive();
    }

    @Test
    void theReserveLowersAllocatableButNotTheMeasuredFree() throws Exception {
        Probe.Reading plain = new DiskProbe(List.of(dir)).read();

        Probe.Reading reserved = new DiskProbe(List.of(dir), 1024).read();
        Probe.Reading everything = new DiskProbe(List.of(dir), 1L << 40).read();

        assertThat(reserved.allocatable()).isEqualTo(plain.allocatable() - 1024);
        assertThat(reserved.free()).isBetween(plain.free() - 1024, plain.free() + 1024);
        assertThat(everything.allocatable()).isZero();
        assertThat(new DiskProbe(List.of(dir), 1024)).hasToString("DiskProbe[" + dir + "][reserve 1024 MiB]");
    }

    @Test
    void noMountOrANegativeReserveIsRefused() {
        assertThatThrownBy(() -> new DiskProbe(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DiskProbe(List.of(dir), -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("disk reserve");
    }
}
