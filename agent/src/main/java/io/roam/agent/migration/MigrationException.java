package io.roam.agent.migration;

/** A migration that could not go on; carries the phase it failed in. */
public class MigrationException extends RuntimeException {
  private final String phase;

  public MigrationException(String phase, String message) {
    super(message);
    this.phase = phase;
  }

  public MigrationException(String phase, String message, Throwable cause) {
    super(message, cause);
    this.phase = phase;
  }

  public String phase() {
    return phase;
  }
}
