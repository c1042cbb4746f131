package io.roam.master.cli;

import io.roam.proto.DashboardLogin;
import io.roam.proto.DashboardLoginRequest;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import picocli.CommandLine.Command;

/**
 * {@code roamctl dashboard}: asks the leader (over the usual mutual TLS, so as the caller's
 * certificate) for a one-time login link to its web dashboard and prints it. The link carries the
 * caller's role: a viewer's dashboard is read-only, an operator's can apply DRS recommendations.
 */
@Command(name = "dashboard", mixinStandardHelpOptions = true,
    description = {"Print a one-time link that opens the leader's web dashboard in a browser, as you.",
        "The link works once, within a few minutes; the browser then keeps a session for 8 hours",
        "(until the leader changes). A client certificate of the cluster CA opens the page as well."})
final class DashboardCommand extends Roamctl.Leaf {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());

  @Override
  public Integer call() {
    DashboardLogin login = root().master(s -> s.createDashboardLogin(DashboardLoginRequest.getDefaultInstance()));
    if (root().output == Roamctl.Output.json) {
      root().printJson(login);
      return Roamctl.OK;
    }
    out().println(login.getUrl());
    err().println("Open it before " + TIME.format(Instant.ofEpochMilli(login.getExpiresAtMs())) + " (once; role "
        + login.getRole() + "). The browser must trust the cluster CA (tls.ca), as for every Roam endpoint.");
    return Roamctl.OK;
  }
}
