package io.roam.master.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.roam.common.security.PeerIdentity;
import io.roam.common.security.Role;
import org.junit.jupiter.api.Test;

class DashboardTokensTest {
  /** A clock the test moves by hand. */
  static final class MutableClock extends java.time.Clock {
    private volatile long millis;

    MutableClock(long start) {
      millis = start;
    }

    void advance(long ms) {
      millis += ms;
    }

    @Override
    public long millis() {
      return millis;
    }

    @Override
    public java.time.Instant instant() {
      return java.time.Instant.ofEpochMilli(millis);
    }

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public java.time.Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  private final MutableClock clock = new MutableClock(1_000_000);
  private final DashboardTokens tokens = new DashboardTokens(clock);
  private final PeerIdentity vera = new PeerIdentity("vera", Role.VIEWER);

  @Test
  void aLoginLinkWorksOnceAndCarriesTheCallersRole() {
    String login = tokens.login(vera).token();
    assertThat(tokens.redeemLogin(login)).contains(vera);
    assertThat(tokens.redeemLogin(login)).as("second use").isEmpty();
  }

  @Test
  void aLoginLinkExpires() {
    String login = tokens.login(vera).token();
    clock.advance(DashboardTokens.LOGIN_TTL.toMillis() + 1);
    assertThat(tokens.redeemLogin(login)).isEmpty();
  }

  @Test
  void aSessionLastsItsTimeAndIsNoLogin() {
    String session = tokens.newSession(vera).token();
    assertThat(tokens.sessionOf(session)).contains(vera);
    assertThat(tokens.redeemLogin(session)).as("a session is not a login").isEmpty();
    assertThat(tokens.sessionOf(tokens.login(vera).token())).as("a login is not a session").isEmpty();
    clock.advance(DashboardTokens.SESSION_TTL.toMillis() + 1);
    assertThat(tokens.sessionOf(session)).isEmpty();
  }

  @Test
  void aChangedRoleOrAnotherMastersKeyIsRefused() {
    String session = tokens.newSession(vera).token();
    String payload = new String(java.util.Base64.getUrlDecoder().decode(session.substring(0, session.indexOf('.'))));
    String forged = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
        payload.replace("|viewer|", "|admin|").getBytes()) + session.substring(session.indexOf('.'));
    assertThat(tokens.sessionOf(forged)).isEmpty();
    assertThat(new DashboardTokens(clock).sessionOf(session)).as("another master's key").isEmpty();
    assertThat(tokens.sessionOf("garbage")).isEmpty();
    assertThat(tokens.sessionOf("a.b.c")).isEmpty();
    assertThat(tokens.sessionOf(null)).isEmpty();
  }

  @Test
  void daemonsGetNoDashboardTokens() {
    assertThatThrownBy(() -> tokens.login(new PeerIdentity("h1", Role.AGENT))).isInstanceOf(IllegalArgumentException.class);
  }
}
