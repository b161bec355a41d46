package io.ichiba.api.client;

import io.ichiba.api.Model;
import io.ichiba.api.Wire;
import io.ichiba.api.client.StubBroker.Answer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The job calls of {@link IchibaClient}: paths, methods, bodies and answers, against a stub broker. */
class IchibaClientJobsTest {
    private static final String JOB = """
            {"id":"j-7","tenant":"team-a","state":"RUNNING","node":"node-1",
             "command":["sh","-c","echo hi"],"env":{"GREETING":"hello"},
             "bundle":{"memory":1500},"priority":3,"leaseSeconds":30,"cancelRequested":false,
             "createdAt":"2025-01-02T03:04:05Z","startedAt":"2025-01-02T03:04:06Z","someFutureField":1}""";
    private static final String ENDED = """
            {"id":"j-7","tenant":"team-a","state":"FAILED","reason":"EXIT_3","node":"node-1",
             "command":["false"],"bundle":{"memory":1500},"priority":0,"leaseSeconds":60,"exitCode":3,
             "createdAt":"2025-01-02T03:04:05Z","endedAt":"2025-01-02T03:04:09Z"}""";
    private static final String CONFLICT = """
            {"type":"urn:ichiba:problem:wrong-state","title":"Conflict","status":409,
             "detail":"the job is CANCELLED on node-1: it must not start on node-1","code":"WRONG_STATE"}""";

    private StubBroker broker;
    private IchibaClient client;

    @BeforeEach
    void start() throws IOException {
        broker = new StubBroker();
        client = IchibaClient.builder(broker.url()).token("ich_agent").build();
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void submitJobPostsCommandEnvAndBundleWithTheKey() throws Exception {
        broker.answer(Answer.json(201, JOB));
        Model.JobCreate create = new Model.JobCreate(List.of("sh", "-c", "echo hi"), Map.of("GREETING", "hello"),
                Model.Bundle.of(Map.of("memory", 1500L), null), 3, 30L, null);

        Model.Job job = client.submitJob(create, "job-7");

        StubBroker.Seen req = broker.next();
        assertThat(req.method() + " " + req.path()).isEqualTo("POST /v1/jobs");
        assertThat(req.header("Idempotency-Key")).isEqualTo("job-7");
        assertThat(req.header("Authorization")).isEqualTo("Bearer ich_agent");
        assertThat(Wire.JSON.readTree(req.body())).isEqualTo(Wire.JSON.readTree("""
                {"command":["sh","-c","echo hi"],"env":{"GREETING":"hello"},"bundle":{"memory":1500},
                 "priority":3,"leaseSeconds":30}"""));
        assertThat(job.id()).isEqualTo("j-7");
        assertThat(job.state()).isEqualTo("RUNNING");
        assertThat(job.command()).containsExactly("sh", "-c", "echo hi");
        assertThat(job.env()).containsEntry("GREETING", "hello");
        assertThat(job.bundle().amounts()).containsEntry("memory", 1500L);
        assertThat(job.leaseSeconds()).isEqualTo(30);
        assertThat(job.startedAt()).isEqualTo(Instant.parse("2025-01-02T03:04:06Z"));
        assertThat(job.exitCode()).isNull();
    }

    @Test
    void jobReadsOneJobAndLongPolls() throws Exception {
        broker.answer(Answer.json(200, JOB)).answer(Answer.json(200, ENDED));

        client.job("j-7");
        Model.Job ended = client.job("j-7", 20);

        StubBroker.Seen plain = broker.next();
        assertThat(plain.method() + " " + plain.path()).isEqualTo("GET /v1/jobs/j-7");
        assertThat(plain.query()).isNull();
        StubBroker.Seen poll = broker.next();
        assertThat(poll.path()).isEqualTo("/v1/jobs/j-7");
        assertThat(poll.query()).isEqualTo("waitSeconds=20");
        assertThat(ended.state()).isEqualTo("FAILED");
        assertThat(ended.reason()).isEqualTo("EXIT_3");
        assertThat(ended.exitCode()).isEqualTo(3);
        assertThatThrownBy(() -> client.job("j-7", -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void jobsListsTheCallersJobsWithAnOptionalState() throws Exception {
        broker.answer(Answer.json(200, "{\"items\":[" + JOB + "," + ENDED + "]}"))
                .answer(Answer.json(200, "{\"items\":[" + ENDED + "]}"));

        List<Model.Job> all = client.jobs();
        List<Model.Job> failed = client.jobs("FAILED");

        StubBroker.Seen list = broker.next();
        assertThat(list.method() + " " + list.path()).isEqualTo("GET /v1/jobs");
        assertThat(list.query()).isNull();
        assertThat(broker.next().query()).isEqualTo("state=FAILED");
        assertThat(all).extracting(Model.Job::state).containsExactly("RUNNING", "FAILED");
        assertThat(failed).hasSize(1);
    }

    @Test
    void cancelJobDeletesIt() throws Exception {
        broker.answer(Answer.json(200, JOB.replace("\"cancelRequested\":false", "\"cancelRequested\":true")));

        Model.Job job = client.cancelJob("j-7");

        StubBroker.Seen req = broker.next();
        assertThat(req.method() + " " + req.path()).isEqualTo("DELETE /v1/jobs/j-7");
        assertThat(req.body()).isEmpty();
        assertThat(job.cancelRequested()).isTrue();
    }

    @Test
    void nodeJobsLongPollsTheNodesJobs() throws Exception {
        broker.answer(Answer.json(200, "{\"items\":[" + JOB + "]}")).answer(Answer.json(200, "{\"items\":[]}"));

        List<Model.Job> jobs = client.nodeJobs("node-1", 30);
        List<Model.Job> none = client.nodeJobs("node-1", 0);

        StubBroker.Seen req = broker.next();
        assertThat(req.method() + " " + req.path()).isEqualTo("GET /v1/nodes/node-1/jobs");
        assertThat(req.query()).isEqualTo("waitSeconds=30");
        assertThat(broker.next().query()).isEqualTo("waitSeconds=0");
        assertThat(jobs).extracting(Model.Job::id).containsExactly("j-7");
        assertThat(none).isEmpty();
        assertThatThrownBy(() -> client.nodeJobs("node-1", 61)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0 to 60");
    }

    @Test
    void startRenewAndFinishUseTheirPathsAndBodies() throws Exception {
        broker.answer(Answer.json(200, JOB)).answer(Answer.json(200, JOB)).answer(Answer.json(200, ENDED))
                .answer(Answer.json(200, ENDED));

        client.startJob("j-7");
        client.renewJob("j-7");
        Model.Job ended = client.finishJob("j-7", new Model.JobFinish(3, null));
        client.finishJob("j-7", new Model.JobFinish(null, "cannot run program \"nope\""));

        StubBroker.Seen start = broker.next();
        assertThat(start.method() + " " + start.path()).isEqualTo("POST /v1/jobs/j-7/start");
        assertThat(start.body()).isEmpty();
        StubBroker.Seen renew = broker.next();
        assertThat(renew.method() + " " + renew.path()).isEqualTo("POST /v1/jobs/j-7/renew");
        assertThat(renew.body()).isEmpty();
        StubBroker.Seen finish = broker.next();
        assertThat(finish.method() + " " + finish.path()).isEqualTo("POST /v1/jobs/j-7/finish");
        assertThat(finish.header("Content-Type")).isEqualTo("application/json");
        assertThat(Wire.JSON.readTree(finish.body())).isEqualTo(Wire.JSON.readTree("{\"exitCode\":3}"));
        assertThat(Wire.JSON.readTree(broker.next().body()))
                .isEqualTo(Wire.JSON.readTree("{\"error\":\"cannot run program \\\"nope\\\"\"}"));
        assertThat(ended.exitCode()).isEqualTo(3);
    }

    @Test
    void aRefusedStartIsAConflictThatIsNotRetryable() {
        broker.answer(Answer.problem(409, CONFLICT));

        IchibaException e = catchThrowableOfType(IchibaException.class, () -> client.startJob("j-7"));

        assertThat(e.status()).isEqualTo(409);
        assertThat(e.code()).isEqualTo("WRONG_STATE");
        assertThat(e.retryable()).isFalse();
        assertThat(e).hasMessageContaining("POST").hasMessageContaining("/v1/jobs/j-7/start")
                .hasMessageContaining("must not start");
    }

    @Test
    void jobIdsAreOneEncodedPathSegment() throws Exception {
        broker.answer(Answer.json(200, JOB));

        client.renewJob("a/b");

        assertThat(broker.next().path()).isEqualTo("/v1/jobs/a%2Fb/renew");
        assertThatThrownBy(() -> client.finishJob("", new Model.JobFinish(0, null)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.finishJob("j-7", null)).isInstanceOf(NullPointerException.class);
    }
}
