package io.roam.master.api;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps the master's errors to gRPC statuses, once. Unexpected errors are logged with their stack. */
final class MasterStatuses {
  private static final Logger LOG = LoggerFactory.getLogger(MasterStatuses.class);

  private MasterStatuses() {}

  static StatusRuntimeException toStatus(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof MasterException m) {
      return Status.fromCode(m.code()).withDescription(m.getMessage()).asRuntimeException();
    }
    if (t instanceof io.roam.master.inventory.NotLeaderException n) {
      // UNAVAILABLE: roamctl tries the next master, which may be the new leader.
      return Status.UNAVAILABLE.withDescription(n.getMessage()).asRuntimeException();
    }
    if (t instanceof StatusRuntimeException s) {
      return s;
    }
    if (t instanceof io.roam.common.Names.InvalidNameException n) {
      return Status.INVALID_ARGUMENT.withDescription(n.getMessage()).asRuntimeException();
    }
    if (t instanceof org.apache.zookeeper.KeeperException.ConnectionLossException
        || t instanceof org.apache.zookeeper.KeeperException.SessionExpiredException) {
      return Status.UNAVAILABLE.withDescription("this master lost ZooKeeper: " + t.getMessage()).asRuntimeException();
    }
    LOG.error("unexpected error", t);
    return Status.INTERNAL.withDescription("master error: " + t).asRuntimeException();
  }
}
