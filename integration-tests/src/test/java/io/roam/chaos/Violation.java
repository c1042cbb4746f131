package io.roam.chaos;

/**
 * A broken invariant and the evidence that shows it. {@code invariant} names the check (e.g.
 * "acknowledged-write-lost"); {@code evidence} is what a reader needs to see it without the run.
 */
public record Violation(String invariant, String subject, String evidence) {
  @Override
  public String toString() {
    return invariant + " [" + subject + "]: " + evidence;
  }
}
