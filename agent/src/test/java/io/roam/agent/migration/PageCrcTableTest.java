package io.roam.agent.migration;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PageCrcTableTest {
  @Test
  void theRunningDigestAlwaysEqualsTheDigestComputedFromScratch() {
    PageCrcTable t = new PageCrcTable(10_000);
    assertThat(t.digest()).isEqualTo(t.recompute());
    Random r = new Random(7);
    for (int i = 0; i < 50_000; i++) {
      // pages sent again and again, sometimes back to the zero page's CRC
      t.set(r.nextInt(10_000), r.nextInt(10) == 0 ? Frames.ZERO_PAGE_CRC : r.nextInt());
      if (i % 997 == 0) {
        assertThat(t.digest()).isEqualTo(t.recompute());
      }
    }
    assertThat(t.digest()).isEqualTo(t.recompute());
  }

  @Test
  void twoSidesThatEndWithTheSameTableAgreeWhateverTheOrderAndHistoryOfTheirUpdates() {
    PageCrcTable source = new PageCrcTable(4096);
    PageCrcTable destination = new PageCrcTable(4096);
    Random r = new Random(11);
    int[] last = new int[4096];
    for (int p = 0; p < 4096; p++) {
      last[p] = Frames.ZERO_PAGE_CRC;
    }
    for (int i = 0; i < 20_000; i++) {
      int page = r.nextInt(4096);
      int crc = r.nextInt();
      source.set(page, crc);
      last[page] = crc;
    }
    for (int p = 4095; p >= 0; p--) { // the destination saw only the last version, in reverse order
      destination.set(p, last[p]);
    }
    assertThat(destination.digest()).isEqualTo(source.digest());
  }

  @Test
  void oneWrongChecksumOrTwoChecksumsOnSwappedPagesChangeTheDigest() {
    PageCrcTable a = new PageCrcTable(1024);
    PageCrcTable b = new PageCrcTable(1024);
    for (int p = 0; p < 1024; p++) {
      a.set(p, p * 31 + 5);
      b.set(p, p * 31 + 5);
    }
    assertThat(b.digest()).isEqualTo(a.digest());

    b.set(700, a.get(700) ^ 1); // one bit of one page's checksum
    assertThat(b.digest()).isNotEqualTo(a.digest());
    b.set(700, a.get(700));
    assertThat(b.digest()).isEqualTo(a.digest());

    b.set(3, a.get(4)); // the right checksums on the wrong pages
    b.set(4, a.get(3));
    assertThat(b.digest()).isNotEqualTo(a.digest());
  }
}
