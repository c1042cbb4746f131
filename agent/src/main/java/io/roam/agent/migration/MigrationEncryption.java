package io.roam.agent.migration;

import java.util.Locale;

/**
 * Whether the migration data plane encrypts the page stream ({@code migration.encryption}). Both
 * modes authenticate the two agents by mutual TLS and exchange HELLO/READY encrypted; with
 * {@link #OFF} both ends then remove TLS and the pages go in plaintext, and only when both agents'
 * settings say {@code off} (one side saying {@code tls} keeps the connection encrypted).
 */
public enum MigrationEncryption {
  TLS, OFF;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code tls} or {@code off}; the error is one line naming both. */
  public static MigrationEncryption parse(String s) {
    for (MigrationEncryption e : values()) {
      if (e.label().equals(s.trim().toLowerCase(Locale.ROOT))) {
        return e;
      }
    }
    throw new IllegalArgumentException("migration.encryption must be tls or off, got '" + s + "'");
  }
}
