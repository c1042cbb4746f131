package io.roam.master.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.master.power.PowerDriver;
import io.roam.master.power.PowerException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FencerTest {
  /** A driver that does what it is told; powerOff fails when {@code fail} is set. */
  private static final class FakeDriver implements PowerDriver {
    final AtomicInteger offs = new AtomicInteger();
    PowerException fail;
    PowerState after = PowerState.OFF;

    @Override
    public void powerOn() {}

    @Override
    public void powerOff() throws PowerException {
      offs.incrementAndGet();
      if (fail != null) {
        throw fail;
      }
    }

    @Override
    public PowerState status() {
      return after;
    }
  }

  private final Deque<Runnable> background = new ArrayDeque<>(); // the fencing thread, run by hand
  private final List<String> events = new ArrayList<>();
  private final FakeDriver driver = new FakeDriver();

  private Fencer fencer(Optional<PowerDriver> d) {
    return new Fencer(host -> d, (kind, vm, host, msg) -> events.add(kind + " " + host), background::add);
  }

  private void runBackground() {
    while (!background.isEmpty()) {
      background.poll().run();
    }
  }

  @Test
  void aHostIsFencedOnlyOnceTheDriverReadsItBackAsOff() {
    Fencer f = fencer(Optional.of(driver));
    f.begin("a");
    assertThat(f.state("a")).isEqualTo(FenceState.PENDING);
    runBackground();
    assertThat(f.state("a")).isEqualTo(FenceState.FENCED);
    assertThat(events).containsExactly("host.fenced a");
  }

  @Test
  void aFailedOrTimedOutPowerOffIsNeverFenced() {
    // The drivers turn a timeout into a PowerException (IpmiPowerDriver waits for ipmitool).
    driver.fail = new PowerException("ipmitool did not answer within 10 s");
    Fencer f = fencer(Optional.of(driver));
    f.begin("a");
    runBackground();
    assertThat(f.state("a")).isEqualTo(FenceState.FAILED);
    assertThat(events).containsExactly("host.fence-failed a");
  }

  @Test
  void aPowerOffThatDoesNotReadBackAsOffIsNeverFenced() {
    for (PowerDriver.PowerState st : new PowerDriver.PowerState[] {PowerDriver.PowerState.ON,
        PowerDriver.PowerState.UNKNOWN}) {
      driver.after = st;
      Fencer f = fencer(Optional.of(driver));
      f.begin("a");
      runBackground();
      assertThat(f.state("a")).as("%s", st).isEqualTo(FenceState.FAILED);
    }
  }

  @Test
  void noDriverOrABrokenOneMeansWaitingForTheDelay() {
    Fencer none = fencer(Optional.empty());
    none.begin("a");
    assertThat(none.state("a")).isEqualTo(FenceState.NO_DRIVER);
    Fencer broken = new Fencer(host -> {
      throw new IllegalStateException("no BMC address");
    }, (kind, vm, host, msg) -> events.add(kind + " " + host), background::add);
    broken.begin("a");
    assertThat(broken.state("a")).isEqualTo(FenceState.FAILED);
  }

  @Test
  void oneAttemptPerDownPeriod() {
    driver.fail = new PowerException("refused");
    Fencer f = fencer(Optional.of(driver));
    f.begin("a");
    runBackground();
    f.begin("a");
    runBackground();
    assertThat(driver.offs).hasValue(1);
    f.reset("a"); // back, then down again: a new attempt
    f.begin("a");
    runBackground();
    assertThat(driver.offs).hasValue(2);
  }

  @Test
  void aPowerOffUnderWayIsNotForgottenWhenTheHostComesBack() {
    // The host's session returns while the power-off is in flight: the fence stays pending (HA
    // starts nothing there), and its outcome is kept.
    Fencer f = fencer(Optional.of(driver));
    f.begin("a");
    f.reset("a");
    assertThat(f.state("a")).isEqualTo(FenceState.PENDING);
    runBackground();
    assertThat(f.state("a")).isEqualTo(FenceState.FENCED);
    f.reset("a"); // seen connected after it finished: a later failure is fenced afresh
    assertThat(f.state("a")).isEqualTo(FenceState.NONE);
  }
}
