package io.roam.chaos;

/**
 * A broken invariant and the evidence that shows it. {@code invariant} names the check (e.g.
 * "acknowledged-write-lost"); {@code evidence} is what a reader needs to see it without the run;
 * {@code identity} tells one violation from another when it is found again later with evidence that
 * has grown (a run checks the whole history after every round and reports each violation once).
 */
public record Violation(String invariant, String subject, String evidence, String identity) {
  public Violation(String invariant, String subject, String evidence) {
    this(invariant, subject, evidence, evidence);
  }

  /** What makes two reports the same violation. */
  public String key() {
    return invariant + " " + subject + " " + identity;
  }

  @Override
  public String toString() {
    return invariant + " [" + subject + "]: " + evidence;
  }
}
