package io.roam.master.cli;

import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.roam.common.health.HealthProbe;
import io.roam.common.security.TlsFiles;
import java.io.IOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code roamctl health --target HOST:PORT}: asks one master or agent whether it serves, through the
 * standard gRPC health service; exit 0 when it answers SERVING, 1 otherwise (one line saying why).
 * Container health checks run it with the container's own certificate (any role may ask).
 */
@Command(name = "health", mixinStandardHelpOptions = true,
    description = "Whether one master or agent serves (grpc.health.v1): exit 0 when SERVING, else 1.")
final class HealthCommand extends Roamctl.Leaf {
  @Option(names = "--target", required = true, paramLabel = "HOST:PORT", description = "the master or agent to ask")
  String target;

  @Option(names = "--service", paramLabel = "NAME", description = "a service name (default: the whole process)")
  String service = "";

  @Override
  public Integer call() throws InterruptedException {
    Roamctl root = root();
    TlsFiles tls = ClientTls.resolve(root.tlsCa, root.tlsCert, root.tlsKey, root.env());
    ServingStatus status;
    try {
      status = HealthProbe.check(target, service, tls.channelCredentials(), Math.min(root.timeoutSeconds, 10) * 1000);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot use " + tls.cert() + ": " + e.getMessage());
    } catch (StatusRuntimeException e) {
      err().println("roamctl: " + target + " is not healthy: " + oneLine(e));
      return Roamctl.ERROR;
    }
    if (status != ServingStatus.SERVING) {
      err().println("roamctl: " + target + " is not serving (" + status + ")");
      return Roamctl.ERROR;
    }
    out().println(target + " SERVING");
    return Roamctl.OK;
  }

  /** gRPC's transport errors span lines (Netty's pipeline); a health check's log wants one, with the cause. */
  private static String oneLine(StatusRuntimeException e) {
    String text = Roamctl.describe(e);
    Throwable cause = e.getCause();
    if (cause != null && cause.getMessage() != null) {
      text = text + " (" + cause.getMessage() + ")";
    }
    return text.replaceAll("\\s*\\R\\s*", "; ");
  }
}
