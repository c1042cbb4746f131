package io.roam.it;

import static io.roam.it.LocalCluster.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roam.common.security.Role;
import io.roam.common.security.TlsFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web dashboard in a real browser: a local cluster, headless Chromium driven over the DevTools
 * protocol, logged in by the links `roamctl dashboard` prints. Chromium trusts the cluster CA
 * through an NSS database in its HOME (no certificate errors ignored). The page must show a
 * migration started from roamctl with its progress moving and then completed, pushed by the server
 * (the page does not poll); an operator's page has working apply buttons, a viewer's has none, and
 * the viewer's POST is refused with 403 and changes nothing. Screenshots go to
 * target/dashboard/ (and to docs/images/ with -Droam.screenshots.update=true, as the README shows).
 *
 * <p>Waits are on page conditions with generous upper bounds, never on times.
 */
class DashboardBrowserTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration SLOW_MACHINE_BOUND = Duration.ofSeconds(120);
  private static final int WIDTH = 1280;
  private static final int HEIGHT = 1500;

  @TempDir Path dir;

  @AfterEach
  void resetOptions() {
    LocalCluster.masterOptions = List.of();
    LocalCluster.agentOptions = List.of();
  }

  @Test
  void aMigrationFromRoamctlShowsProgressAndCompletionAndAViewerCannotApply() throws Exception {
    String chromium = DevTools.chromium();
    Assumptions.assumeTrue(chromium != null, "chromium is not installed (Debian: apt-get install chromium"
        + " libnss3-tools); the dashboard's browser test needs it");
    Assumptions.assumeTrue(onPath("certutil"), "certutil is not installed (Debian: libnss3-tools); the browser"
        + " trusts the cluster CA through an NSS database");
    // DRS passes every few seconds and only recommends; one-core agents make two busy VMs a clear imbalance.
    LocalCluster.masterOptions = List.of("--drs-interval-ms", "3000", "--drs-demand-window-ms", "8000",
        "--drs-automation", "manual", "--ha-host-failures", "0");
    LocalCluster.agentOptions = List.of("--cores", "1");
    try (LocalCluster c = LocalCluster.start(dir, 2)) {
      Path home = Files.createDirectories(dir.resolve("browser-home"));
      trustClusterCa(c, home);
      TlsFiles operator = c.user(Role.OPERATOR, "olga");
      TlsFiles viewer = c.user(Role.VIEWER, "victor");
      for (int i = 1; i <= 2; i++) {
        ok(c.ctl("vm", "create", "busy" + i, "--program", "cpu", "--arg", "share=40", "--memory", "16MiB", "--host",
            "host1", "--start"));
      }
      // An idle VM of 64 MiB copied at 4 MiB/s: its migration lasts about 16 s, long enough to watch.
      ok(c.ctl("vm", "create", "big", "--program", "idle", "--memory", "64MiB", "--host", "host1", "--start"));

      try (DevTools page = DevTools.launch(chromium, home, WIDTH, HEIGHT)) {
        login(c, page, operator, "operator");

        JsonNode started = JSON.readTree(c.ctl("-o", "json", "vm", "migrate", "big", "--to", "host2", "--max-bandwidth",
            "4MiB/s").out());
        String id = started.path("id").asText();
        assertThat(id).isNotEmpty();
        String row = "document.querySelector('tr[data-migration=\"" + id + "\"]')";
        // Progress: the row shows the migration running, and its bytes move while the page stays open.
        Set<Long> bytesSeen = new HashSet<>();
        await().atMost(SLOW_MACHINE_BOUND).pollInterval(Duration.ofMillis(300)).until(() -> {
          JsonNode r = page.eval("(() => { const r = " + row + "; return r ? {status: r.dataset.status, bytes:"
              + " Number(r.dataset.bytes), percent: Number(r.dataset.percent)} : null })()");
          if (r.isObject() && Set.of("setup", "active").contains(r.path("status").asText())
              && r.path("bytes").asLong() > 0 && r.path("percent").asLong() < 100) {
            bytesSeen.add(r.path("bytes").asLong());
          }
          return bytesSeen.size() >= 2;
        });
        assertThat(page.eval(row + ".textContent").asText()).contains("host1 → host2").contains("pages/s");
        screenshot(page, "dashboard.png");
        await().atMost(SLOW_MACHINE_BOUND).pollInterval(Duration.ofMillis(300)).until(() ->
            page.eval("(() => { const r = " + row + "; return r ? r.dataset.status : '' })()").asText().equals("completed"));
        assertThat(page.eval("document.querySelector('tr[data-vm=\"big\"]').textContent").asText()).contains("host2");

        // DRS recommends moving one busy VM away from host1: the operator's page has an apply button for it.
        await().atMost(SLOW_MACHINE_BOUND).pollInterval(Duration.ofMillis(500)).until(() ->
            page.eval("document.querySelectorAll('button.apply').length").asInt() >= 1);
        String recommendation = page.eval("document.querySelector('button.apply').dataset.id").asText();

        // A viewer: the same recommendation, no button; a POST made anyway is refused and moves nothing.
        login(c, page, viewer, "viewer");
        await().atMost(SLOW_MACHINE_BOUND).pollInterval(Duration.ofMillis(500)).until(() ->
            page.eval("document.querySelectorAll('tr[data-recommendation]').length").asInt() >= 1);
        assertThat(page.eval("document.querySelectorAll('button.apply').length").asInt()).isZero();
        assertThat(page.eval("document.querySelector('#recommendations').textContent").asText()).contains("read-only");
        screenshot(page, "dashboard-viewer.png");
        String hostsBefore = vmHosts(c);
        assertThat(page.eval("fetch('/api/apply?id=" + recommendation + "', {method: 'POST', headers: {'X-Roam-Action':"
            + " 'apply'}}).then(r => r.status)").asInt()).isEqualTo(403);
        assertThat(c.ctl("events").out()).doesNotContain("drs.migrate");
        assertThat(vmHosts(c)).isEqualTo(hostsBefore);

        // The operator again: the button applies it (the server checks the role and the header).
        login(c, page, operator, "operator");
        await().atMost(SLOW_MACHINE_BOUND).pollInterval(Duration.ofMillis(500)).until(() ->
            page.eval("document.querySelectorAll('button.apply').length").asInt() >= 1);
        // Two equally busy VMs: a DRS pass may replace the recommendation on the page between its
        // refresh and the click, and the leader then rightly refuses the stale id. What is under test
        // is that an operator's click applies one, so the test clicks an enabled Apply button (the page
        // disables a clicked one until its next refresh) whenever no click is pending, and watches the
        // result line for "applied" (a later refusal of a second click must not hide it).
        String clickUntilApplied = "(() => { const out = document.getElementById('apply-result');"
            + " if (!window.__roamWatch) { window.__roamWatch = true; new MutationObserver(() => {"
            + " if (out.textContent.startsWith('applied')) window.__roamApplied = out.textContent; })"
            + ".observe(out, {childList: true, characterData: true, subtree: true}); }"
            + " if (window.__roamApplied) return window.__roamApplied;"
            + " const pending = window.__roamClickedAt && Date.now() - window.__roamClickedAt < 10000"
            + " && out.textContent === '';"
            + " if (!pending) { const b = document.querySelector('button.apply:not([disabled])');"
            + " if (b) { out.textContent = ''; window.__roamClickedAt = Date.now(); b.click(); } }"
            + " return ''; })()";
        try {
          await().atMost(SLOW_MACHINE_BOUND).pollInterval(Duration.ofMillis(300)).until(() ->
              page.eval(clickUntilApplied).asText().startsWith("applied"));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
          throw new AssertionError("the page says: " + page.eval("document.getElementById('apply-result').textContent")
              .asText() + "; recommendations now:\n" + c.ctl("drs", "recs").out(), e);
        }
        // Applied: the leader started the recommended move (the event the viewer's POST did not make).
        // Not awaited to its end: a migration of a busy VM on a loaded machine may take longer, or
        // fail and leave the VM in place, which says nothing about who may apply.
        try {
          await().atMost(SLOW_MACHINE_BOUND).pollInterval(Duration.ofSeconds(1)).until(() ->
              c.ctl("events").out().contains("drs.migrate") || !vmHosts(c).equals(hostsBefore));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
          throw new AssertionError("applied " + recommendation + " but no move: events\n" + c.ctl("events").out()
              + "\nmigrations\n" + c.ctl("migration", "ls").out() + "\nmaster log\n"
              + LocalCluster.tail(c.masters.get(0).log), e);
        }
      }
    }
  }

  /** Opens the link `roamctl dashboard` prints for {@code user} and waits for the live page in that role. */
  private static void login(LocalCluster c, DevTools page, TlsFiles user, String role) throws Exception {
    LocalCluster.Result r = c.ctlAs(user, c.masterAddresses(), "dashboard");
    ok(r);
    String url = r.out().trim();
    assertThat(url).startsWith("https://").contains("/?login=");
    page.navigate(url);
    await().atMost(SLOW_MACHINE_BOUND).pollInterval(Duration.ofMillis(300)).until(() -> {
      JsonNode s = page.eval("({role: document.body ? document.body.dataset.role || '' : '', updates:"
          + " Number(document.body ? document.body.dataset.updates || 0 : 0), path: location.pathname + location.search})");
      return s.path("role").asText().equals(role) && s.path("updates").asInt() >= 1 && s.path("path").asText().equals("/");
    });
  }

  /** Each VM's host, as roamctl vm ls -o json says. */
  private static String vmHosts(LocalCluster c) throws Exception {
    StringBuilder b = new StringBuilder();
    for (JsonNode v : JSON.readTree(c.ctl("-o", "json", "vm", "ls").out()).path("vms")) {
      b.append(v.path("spec").path("name").asText()).append('@').append(v.path("host").asText()).append(' ');
    }
    return b.toString();
  }

  /** An NSS database in the browser's HOME that trusts the cluster CA for servers, as a user would add it. */
  private static void trustClusterCa(LocalCluster c, Path home) throws Exception {
    Path db = Files.createDirectories(home.resolve(".pki/nssdb"));
    run("certutil", "-d", "sql:" + db, "-N", "--empty-password");
    run("certutil", "-d", "sql:" + db, "-A", "-t", "C,,", "-n", "roam-it-ca", "-i", c.admin().ca().toString());
  }

  private static void run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
  }

  private static boolean onPath(String name) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(d, name))) {
        return true;
      }
    }
    return false;
  }

  private static void screenshot(DevTools page, String name) throws Exception {
    Path target = Path.of("target", "dashboard", name);
    page.screenshot(target);
    if (Boolean.getBoolean("roam.screenshots.update")) {
      Path docs = Path.of("..", "docs", "images", name);
      Files.createDirectories(docs.getParent());
      Files.copy(target, docs, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
