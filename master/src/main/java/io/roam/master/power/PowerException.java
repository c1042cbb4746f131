package io.roam.master.power;

/** A power operation that failed; the message says which host and why, and holds no credential. */
public final class PowerException extends Exception {
  public PowerException(String message) {
    super(message);
  }

  public PowerException(String message, Throwable cause) {
    super(message, cause);
  }
}
