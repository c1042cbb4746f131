package io.roam.agent.rpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roam.agent.vm.VmOperationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Maps the agent's typed errors to gRPC statuses, once. */
final class AgentStatuses {
  private AgentStatuses() {}

  static StatusRuntimeException toStatus(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof StatusRuntimeException s) {
      return s;
    }
    if (t instanceof VmOperationException e) {
      Status status = switch (e.kind()) {
        case NOT_FOUND -> Status.NOT_FOUND;
        case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
        case NO_ROOM -> Status.RESOURCE_EXHAUSTED;
        case BAD_STATE, STALE_EPOCH, NOT_OWNER -> Status.FAILED_PRECONDITION;
        case INVALID -> Status.INVALID_ARGUMENT;
        case INTERNAL -> Status.INTERNAL;
      };
      return status.withDescription(e.getMessage()).asRuntimeException();
    }
    if (t instanceof io.roam.agent.migration.MigrationException m) {
      return Status.FAILED_PRECONDITION.withDescription("migration failed (" + m.phase() + "): " + m.getMessage())
          .asRuntimeException();
    }
    if (t instanceof IllegalArgumentException) {
      return Status.INVALID_ARGUMENT.withDescription(t.getMessage()).asRuntimeException();
    }
    return Status.INTERNAL.withDescription("agent error: " + t).withCause(t).asRuntimeException();
  }
}
