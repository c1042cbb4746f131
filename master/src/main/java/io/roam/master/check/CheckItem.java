package io.roam.master.check;

/**
 * One line of {@code roamctl cluster check}: which check, about which host, its verdict and the
 * evidence (or what to change).
 */
public record CheckItem(String check, String subject, Verdict verdict, String detail) {
  /** PASS and SKIP (not applicable, e.g. a host in standby) fail nothing; one FAIL fails the check. */
  public enum Verdict { PASS, FAIL, SKIP }

  public static final String CONNECTED = "host connected";
  public static final String DATASTORE = "datastore shared";
  public static final String CLOCK = "clock";
  public static final String POWER = "power driver";
}
