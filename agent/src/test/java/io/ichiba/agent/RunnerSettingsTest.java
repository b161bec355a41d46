package io.ichiba.agent;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RunnerSettingsTest {
    private final RunnerSettings defaults = RunnerSettings.defaults(Path.of("jobs"));

    @Test
    void defaultsAndAnAbsoluteWorkDirectory() {
        assertThat(defaults.workDir()).isEqualTo(Path.of("jobs").toAbsolutePath());
        assertThat(defaults.pollWait()).isEqualTo(Duration.ofSeconds(20));
        assertThat(defaults.killGrace()).isEqualTo(Duration.ofSeconds(10));
        assertThat(defaults.minRenew()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void aLeaseIsRenewedEveryThirdButNotMoreOftenThanTheMinimum() {
        assertThat(defaults.renewEvery(60)).isEqualTo(Duration.ofSeconds(20));
        assertThat(defaults.renewEvery(10)).isEqualTo(Duration.ofMillis(3333));
        assertThat(defaults.renewEvery(2)).isEqualTo(Duration.ofSeconds(1));
        assertThat(defaults.renewEvery(0)).isEqualTo(Duration.ofSeconds(1));
        assertThat(defaults.withMinRenew(Duration.ofSeconds(5)).renewEvery(9)).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void badSettingsAreRefused() {
        assertThatThrownBy(() -> defaults.withPollWait(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> defaults.withPollWait(Duration.ofSeconds(61)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> defaults.withKillGrace(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> defaults.withMinRenew(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> defaults.withBusyPause(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(defaults.withKillGrace(Duration.ZERO).killGrace()).isZero();
    }
}
