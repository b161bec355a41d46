package io.ichiba.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MemInfoProbeTest {
    @TempDir
    Path dir;

    @Test
    @EnabledOnOs(OS.LINUX)
    void readsThisMachine() throws Exception {
        Probe.Reading r = new MemInfoProbe(MemInfoProbe.PROC_MEMINFO, 0).read();

        assertThat(r.kind()).isEqualTo("memory");
        assertThat(r.allocatable()).isPositive();
        assertThat(r.free()).isPositive().isLessThanOrEqualTo(r.allocatable());
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void theReserveComesOffThisMachinesTotal() throws Exception {
        Probe.Reading none = new MemInfoProbe(MemInfoProbe.PROC_MEMINFO, 0).read();
        Probe.Reading some = new MemInfoProbe(MemInfoProbe.PROC_MEMINFO, 100).read();

        assertThat(some.allocatable()).isEqualTo(Math.max(0, none.allocatable() - 100));
        assertThat(some.free()).isLessThanOrEqualTo(some.allocatable() + 100);
    }

    @Test
    void readsASampleFileInMiB() throws Exception {
        Path file = sample();

        Probe.Reading r = new MemInfoProbe(file, 512).read();

        // MemTotal 16318412 kB = 15935 MiB, less 512; MemAvailable 12293060 kB = 12004 MiB
        assertThat(r).isEqualTo(new Probe.Reading("memory", 15935 - 512, 12004));
    }

    @Test
    void aReserveLargerThanTheMachineLeavesNothingAllocatable() throws Exception {
        Probe.Reading r = new MemInfoProbe(sample(), 1 << 20).read();

        assertThat(r.allocatable()).isZero();
        assertThat(r.free()).isEqualTo(12004);
    }

    @Test
    void toleratesOtherLinesCarriageReturnsAndNoFinalNewline() throws Exception {
        Probe.Reading r = MemInfoProbe.parse("HugePages_Total:  0\r\nMemTotal: 2048 kB\r\nGarbage here\r\n"
                + "MemAvailable:\t1024 kB", 0, "t");

        assertThat(r).isEqualTo(new Probe.Reading("memory", 2, 1));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            missing MemAvailable  | MemTotal: 2048 kB\\nMemFree: 10 kB                  | no MemAvailable line
            missing MemTotal      | MemFree: 10 kB\\nMemAvailable: 1024 kB             | no MemTotal line
            non-numeric value     | MemTotal: 2048 kB\\nMemAvailable: lots kB          | line 2 'MemAvailable: lots kB': 'lots' is not a whole number
            negative value        | MemTotal: -2048 kB\\nMemAvailable: 1 kB            | line 1 'MemTotal: -2048 kB': '-2048' is not a whole number
            wrong unit            | MemTotal: 2 GB\\nMemAvailable: 1024 kB             | line 1 'MemTotal: 2 GB': unit 'GB', expected kB
            no unit               | MemTotal: 2048\\nMemAvailable: 1024 kB             | line 1 'MemTotal: 2048': no unit, expected kB
            truncated value       | MemTotal: 2048 kB\\nMemAvailable:                  | line 2 'MemAvailable:': no value
            truncated key         | MemTotal: 2048 kB\\nMemFree: 10 kB\\nMemAvai       | no MemAvailable line
            extra words           | MemTotal: 2048 kB extra\\nMemAvailable: 1024 kB    | line 1 'MemTotal: 2048 kB extra': expected '<whole number> kB'
            too large             | MemTotal: 99999999999999999999 kB\\nMemAvailable: 1 kB | '99999999999999999999' is too large
            given twice           | MemTotal: 2048 kB\\nMemAvailable: 1 kB\\nMemTotal: 4096 kB | line 3 'MemTotal: 4096 kB': given twice
            more available than total | MemTotal: 1024 kB\\nMemAvailable: 2048 kB     | MemAvailable 2048 kB is more than MemTotal 1024 kB
            only whitespace       | '   '                                            | is empty
            """)
    void aMalformedTextIsAClearProbeError(String name, String text, String expected) {
        String content = text.replace("\\n", "\n");

        assertThatThrownBy(() -> MemInfoProbe.parse(content, 512, "sample"))
                .isInstanceOf(ProbeException.class)
                .hasMessageStartingWith("memory: sample")
                .hasMessageContaining(expected);
    }

    @Test
    void anEmptyFileIsAClearProbeError() throws IOException {
        Path empty = Files.createFile(dir.resolve("meminfo"));

        assertThatThrownBy(() -> new MemInfoProbe(empty, 0).read()).isInstanceOf(ProbeException.class)
                .hasMessage("memory: " + empty + " is empty");
    }

    @Test
    void aFileCutInTheMiddleIsAClearProbeError() throws IOException {
        String full = Files.readString(sample());
        Path cut = Files.writeString(dir.resolve("cut"), full.substring(0, full.indexOf("MemAvailable") + 8));

        assertThatThrownBy(() -> new MemInfoProbe(cut, 0).read()).isInstanceOf(ProbeException.class)
                .hasMessageContaining("no MemAvailable line");
    }

    @Test
    void aMissingFileIsAClearProbeError() {
        Path missing = dir.resolve("nope");

        assertThatThrownBy(() -> new MemInfoProbe(missing, 0).read()).isInstanceOf(ProbeException.class)
                .hasMessageStartingWith("memory: cannot read " + missing);
    }

    @Test
    void aNegativeReserveIsRefused() {
        assertThatThrownBy(() -> new MemInfoProbe(MemInfoProbe.PROC_MEMINFO, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserve");
    }

    private Path sample() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/meminfo/sample.txt")) {
            Path file = dir.resolve("meminfo-sample");
            Files.write(file, in.readAllBytes());
            return file;
        }
    }

    static Path writeSample(Path dir, String name) throws IOException {
        try (InputStream in = MemInfoProbeTest.class.getResourceAsStream("/meminfo/sample.txt")) {
            return Files.writeString(dir.resolve(name), new String(in.readAllBytes(), StandardCharsets.US_ASCII));
        }
    }
}
