package io.roam.master.dashboard;

import io.roam.common.security.PeerIdentity;
import io.roam.common.security.Role;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed tokens that stand in for a client certificate in a browser. A <em>login</em> token is what
 * {@code roamctl dashboard} prints in a link: short-lived and accepted once; the dashboard trades it
 * for a <em>session</em> token kept in an HttpOnly cookie. Both carry the name and role that the
 * caller proved with its certificate over mutual TLS when it asked for the link, never more.
 *
 * <p>Format: {@code base64url(kind|role|name|expiresAtMs|nonce) "." base64url(HMAC-SHA256)}. The key is
 * drawn at random when the master starts and never leaves the process: a token is good only on the
 * master that signed it, and only while that master runs (after a failover, `roamctl dashboard` again).
 *
 * <p>Thread-safe.
 */
public final class DashboardTokens {
  /** How long a login link may wait before it is opened. */
  public static final Duration LOGIN_TTL = Duration.ofMinutes(2);
  /** How long a browser session lasts. */
  public static final Duration SESSION_TTL = Duration.ofHours(8);

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  private final byte[] key;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  /** Nonces of login tokens already traded, until they expire (one use each). */
  private final Map<String, Long> usedLogins = new ConcurrentHashMap<>();

  public DashboardTokens(Clock clock) {
    this.clock = clock;
    this.key = new byte[32];
    random.nextBytes(key);
  }

  /** A one-time login token for {@code who}, good for {@link #LOGIN_TTL}. */
  public Issued login(PeerIdentity who) {
    return issue("login", who, LOGIN_TTL);
  }

  /** A session token for {@code who}, good for {@link #SESSION_TTL}. */
  public Issued newSession(PeerIdentity who) {
    return issue("session", who, SESSION_TTL);
  }

  /** A token and when it expires. */
  public record Issued(String token, long expiresAtMs) {}

  /**
   * The identity of a login token, once: a second use, an expired, forged or malformed token, or a
   * session token given as a login, yields empty.
   */
  public Optional<PeerIdentity> redeemLogin(String token) {
    Optional<Claims> c = verify(token, "login");
    if (c.isEmpty()) {
      return Optional.empty();
    }
    long now = clock.millis();
    for (Iterator<Map.Entry<String, Long>> it = usedLogins.entrySet().iterator(); it.hasNext();) {
      if (it.next().getValue() < now) {
        it.remove(); // expired ones would be refused anyway: the set stays as small as the links in flight
      }
    }
    if (usedLogins.putIfAbsent(c.get().nonce(), c.get().expiresAtMs()) != null) {
      return Optional.empty();
    }
    return Optional.of(c.get().who());
  }

  /** The identity of a valid session token, or empty. */
  public Optional<PeerIdentity> sessionOf(String token) {
    return verify(token, "session").map(Claims::who);
  }

  private record Claims(PeerIdentity who, long expiresAtMs, String nonce) {}

  private Issued issue(String kind, PeerIdentity who, Duration ttl) {
    if (!who.role().isUser()) {
      throw new IllegalArgumentException("dashboard tokens are for users (viewer, operator, admin), not " + who.role().label());
    }
    byte[] n = new byte[12];
    random.nextBytes(n);
    long expires = clock.millis() + ttl.toMillis();
    String payload = String.join("|", kind, who.role().label(), who.name(), Long.toString(expires), B64.encodeToString(n));
    byte[] body = payload.getBytes(StandardCharsets.UTF_8);
    return new Issued(B64.encodeToString(body) + "." + B64.encodeToString(mac(body)), expires);
  }

  private Optional<Claims> verify(String token, String kind) {
    if (token == null || token.length() > 1024) {
      return Optional.empty();
    }
    int dot = token.indexOf('.');
    if (dot <= 0) {
      return Optional.empty();
    }
    try {
      byte[] body = B64D.decode(token.substring(0, dot));
      byte[] sig = B64D.decode(token.substring(dot + 1));
      if (!MessageDigest.isEqual(sig, mac(body))) {
        return Optional.empty();
      }
      // A name holding '|' would split into more than five fields: such a token is refused, never misread.
      String[] f = new String(body, StandardCharsets.UTF_8).split("\\|");
      if (f.length != 5 || !f[0].equals(kind)) {
        return Optional.empty();
      }
      long expires = Long.parseLong(f[3]);
      if (expires < clock.millis()) {
        return Optional.empty();
      }
      Role role = Role.parse(f[1]);
      return role.isUser() ? Optional.of(new Claims(new PeerIdentity(f[2], role), expires, f[4])) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private byte[] mac(byte[] body) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(key, "HmacSHA256"));
      return m.doFinal(body);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
