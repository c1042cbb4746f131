package io.roam.common.logging;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.common.concurrent.OrderedExecutor;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** Log ids go with the work: into a VM's queue and back out, leaving each thread as it was. */
class LogContextTest {
  @Test
  void aQueuedTaskCarriesItsKeyAndTheSubmittersIdsAndLeavesThePoolThreadClean() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      OrderedExecutor queues = new OrderedExecutor(pool, key -> Map.of(LogContext.VM, key));
      try (LogContext.Scope s = LogContext.with(LogContext.MIGRATION, "web-m1")) {
        Map<String, String> seen = queues.submit("web", MDC::getCopyOfContextMap).get(10, TimeUnit.SECONDS);
        assertThat(seen).containsEntry(LogContext.VM, "web").containsEntry(LogContext.MIGRATION, "web-m1");
      }
      assertThat(MDC.getCopyOfContextMap()).isNullOrEmpty();
      Map<String, String> after = pool.submit(MDC::getCopyOfContextMap).get(10, TimeUnit.SECONDS);
      assertThat(after).isNullOrEmpty();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aScopeGivesBackWhatTheThreadHadAndSkipsBlankValues() {
    try (LogContext.Scope outer = LogContext.with(LogContext.VM, "a")) {
      try (LogContext.Scope inner = LogContext.with(Map.of(LogContext.VM, "b", LogContext.HOST, ""))) {
        assertThat(MDC.get(LogContext.VM)).isEqualTo("b");
        assertThat(MDC.get(LogContext.HOST)).isNull();
      }
      assertThat(MDC.get(LogContext.VM)).isEqualTo("a");
    }
    assertThat(MDC.get(LogContext.VM)).isNull();
  }
}
