package io.roam.agent.migration;

/** A frame that breaks the wire format (a count past its end, an unknown type, a wrong size). */
public final class MalformedFrameException extends MigrationException {
  MalformedFrameException(String message) {
    super("frame", message);
  }
}
