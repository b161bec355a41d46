package io.ichiba.agent;

import io.ichiba.agent.JobRecords.JobRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JobRecordsTest {
    @TempDir
    Path work;

    @Test
    void aRecordIsWrittenReadReplacedAndRemovedLeavingTheLog() throws Exception {
        JobRecords records = new JobRecords(work);
        Instant start = Instant.parse("2025-01-02T03:04:05.67Z");

        records.write(new JobRecord("job-1", null, null, 30, null, null));
        records.write(new JobRecord("job-1", 4242L, start, 30, null, null));
        Files.writeString(records.log("job-1"), "output");

        assertThat(records.read("job-1")).isEqualTo(new JobRecord("job-1", 4242L, start, 30, null, null));
        assertThat(records.read("job-1").ended()).isFalse();
        assertThat(records.scan()).extracting(JobRecords.Found::record)
                .containsExactly(new JobRecord("job-1", 4242L, start, 30, null, null));
        assertThat(work.resolve("job-1").resolve(JobRecords.FILE + ".tmp")).doesNotExist();

        records.deleteAll("job-1");

        assertThat(records.read("job-1")).isNull();
        assertThat(records.scan()).isEmpty();
        assertThat(records.log("job-1")).hasContent("output");
    }

    @Test
    void anUnreadableOrMisplacedFileIsReportedWithItsJob() throws Exception {
        JobRecords records = new JobRecords(work);
        Files.createDirectories(work.resolve("job-2"));
        Files.writeString(work.resolve("job-2").resolve(JobRecords.FILE), "{not json");
        records.write(new JobRecord("job-3", 1L, null, 5, 0, null));
        Files.move(work.resolve("job-3"), work.resolve("job-4"));
        Files.createDirectories(work.resolve("not a job id"));
        Files.writeString(work.resolve("not a job id").resolve(JobRecords.FILE), "{}");

        assertThat(records.scan()).satisfiesExactly(
                f -> {
                    assertThat(f.job()).isEqualTo("job-2");
                    assertThat(f.record()).isNull();
                    assertThat(f.problem()).contains("cannot be read");
                },
                f -> {
                    assertThat(f.job()).isEqualTo("job-4");
                    assertThat(f.problem()).contains("names job job-3");
                });
        assertThat(new JobRecords(work.resolve("none")).scan()).isEmpty();
    }

    @Test
    void onlyContractIdsBecomePaths() {
        JobRecords records = new JobRecords(work);

        assertThat(JobRecords.validId("0b1e-42")).isTrue();
        assertThat(JobRecords.validId("../etc")).isFalse();
        assertThat(JobRecords.validId("a/b")).isFalse();
        assertThat(JobRecords.validId("")).isFalse();
        assertThatThrownBy(() -> records.dir("../escape")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new JobRecord("..", null, null, 1, null, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new JobRecord("j", null, null, 1, null, "could not start").ended()).isTrue();
        assertThat(new JobRecord("j", null, null, 1, 0, null).ended()).isTrue();
    }
}
