package io.roam.master.cli;

import io.roam.common.security.CertificateAuthority;
import io.roam.common.security.Role;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code roamctl pki}: the cluster's certificate authority, offline (no master is contacted). The CA
 * key never leaves the directory it was made in; whoever holds it can issue any role, so keep it
 * on the operator's machine, not on the hosts.
 */
@Command(name = "pki", description = "The cluster's certificate authority: make it, issue certificates.",
    mixinStandardHelpOptions = true, subcommands = {PkiCommand.Init.class, PkiCommand.Issue.class})
final class PkiCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return Roamctl.USAGE;
  }

  @Command(name = "init", mixinStandardHelpOptions = true,
      description = "Create a CA in DIR: ca.crt (give it to every daemon and user) and ca.key (mode 0600, keep it safe).")
  static final class Init extends Roamctl.Leaf {
    @Parameters(paramLabel = "DIR", description = "directory for the CA (created; must not already hold one)")
    Path dir;

    @Option(names = "--cluster", paramLabel = "NAME", description = "cluster name in the CA's subject (default: roam)")
    String cluster = "roam";

    @Override
    public Integer call() throws IOException {
      CertificateAuthority.init(dir, cluster);
      out().printf("CA created in %s (ca.crt, ca.key)%n", dir);
      return Roamctl.OK;
    }
  }

  /** What a certificate is for: a daemon, a ZooKeeper server of an ensemble, or a person (or script) with a user role. */
  enum Kind { master, agent, zookeeper, user }

  @Command(name = "issue", mixinStandardHelpOptions = true,
      description = {"Issue a certificate: NAME.crt, NAME.key (mode 0600) and ca.crt in --out.",
          "A master's or agent's NAME is its master id or host name (agent.name); --san lists every host name"
              + " and address it is reached at (clients check them)."})
  static final class Issue extends Roamctl.Leaf {
    @Parameters(index = "0", paramLabel = "KIND", description = "master, agent, zookeeper (a server of a ZooKeeper ensemble) or user")
    Kind kind;

    @Parameters(index = "1", paramLabel = "NAME", description = "the master's id, the agent's host name, or the user's name")
    String name;

    @Option(names = "--ca", required = true, paramLabel = "DIR", description = "the CA's directory (roamctl pki init)")
    Path caDir;

    @Option(names = "--role", paramLabel = "ROLE", description = "a user's role: admin, operator or viewer (users only)")
    String role;

    @Option(names = "--san", paramLabel = "HOST_OR_IP", description = "a host name or IP address the daemon serves at (repeat)")
    List<String> sans = new ArrayList<>();

    @Option(names = "--out", paramLabel = "DIR", description = "where to write the files (default: the current directory)")
    Path out = Path.of(".");

    @Option(names = "--days", paramLabel = "N", description = "validity in days (default: 825)")
    int days = (int) CertificateAuthority.DEFAULT_VALIDITY.toDays();

    @Override
    public Integer call() throws IOException {
      Role r = roleOf();
      if (days < 1 || days > 3650) {
        throw new IllegalArgumentException("--days must be between 1 and 3650");
      }
      for (String san : sans) {
        if (!san.matches("[A-Za-z0-9.:*-]{1,253}")) {
          throw new IllegalArgumentException("invalid --san '" + san + "': a host name or an IP address");
        }
      }
      CertificateAuthority.checkName(name);
      var issued = CertificateAuthority.load(caDir).issue(r, name, sans, Duration.ofDays(days), out);
      out().printf("issued %s certificate for %s: %s, %s (valid until %s)%n", r.label(), name, issued.cert(), issued.key(),
          issued.certificate().getNotAfter().toInstant());
      return Roamctl.OK;
    }

    private Role roleOf() {
      if (kind == Kind.user) {
        if (role == null) {
          throw new IllegalArgumentException("a user certificate needs --role admin, operator or viewer");
        }
        Role r = Role.parse(role);
        if (!r.isUser()) {
          throw new IllegalArgumentException("--role must be admin, operator or viewer (issue a master or agent"
              + " certificate with KIND master or agent)");
        }
        return r;
      }
      if (role != null) {
        throw new IllegalArgumentException("--role is for user certificates only");
      }
      return switch (kind) {
        case master -> Role.MASTER;
        case agent -> Role.AGENT;
        default -> Role.ZOOKEEPER;
      };
    }
  }
}
