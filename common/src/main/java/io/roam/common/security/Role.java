package io.roam.common.security;

import java.util.Locale;

/**
 * Who a certificate speaks for. The role is written into the certificate's subject (as its
 * organizational unit) by {@link CertificateAuthority#issue}, so a peer's role is proven by the same
 * TLS handshake that proves its name.
 *
 * <p>Two daemon roles ({@link #MASTER}, {@link #AGENT}) and three user roles, each user role allowing
 * everything the one below it allows: {@link #VIEWER} reads, {@link #OPERATOR} also runs VM lifecycle,
 * migration and maintenance, {@link #ADMIN} also sets power drivers, rules, DRS/DPM settings.
 */
public enum Role {
  MASTER, AGENT, ADMIN, OPERATOR, VIEWER,
  /**
   * A ZooKeeper server of an ensemble: a server certificate that Roam's gRPC services and
   * ZooKeeper's own client authentication accept for nothing, so its key, kept on the ZooKeeper
   * machines, cannot be used to read or change the cluster.
   */
  ZOOKEEPER;

  /** The name used in certificates, on the command line and in messages: lower case. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public boolean isUser() {
    return this == ADMIN || this == OPERATOR || this == VIEWER;
  }

  /**
   * Whether a peer of this role may do what needs {@code required}. User roles are ordered
   * (admin ⊇ operator ⊇ viewer); a master may do what an admin may (masters call each other and act
   * for the cluster); an agent only what needs {@link #AGENT}.
   */
  public boolean allows(Role required) {
    if (this == required) {
      return true;
    }
    return switch (required) {
      case VIEWER -> this == OPERATOR || this == ADMIN || this == MASTER;
      case OPERATOR -> this == ADMIN || this == MASTER;
      case ADMIN -> this == MASTER;
      case MASTER, AGENT, ZOOKEEPER -> false;
    };
  }

  /** Parses a label ({@code admin}, {@code agent}, ...); the error names the allowed values. */
  public static Role parse(String label) {
    for (Role r : values()) {
      if (r.label().equals(label)) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown role '" + label + "' (allowed: master, agent, admin, operator, viewer, zookeeper)");
  }
}
