package io.roam.agent.memory;

/** A guest memory access or file that is not valid: out of range, misaligned, or corrupt. */
public final class GuestMemoryException extends RuntimeException {
  public GuestMemoryException(String message) {
    super(message);
  }

  public GuestMemoryException(String message, Throwable cause) {
    super(message, cause);
  }
}
