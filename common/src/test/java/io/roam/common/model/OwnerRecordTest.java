package io.roam.common.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OwnerRecordTest {
  @Test
  void aRecordTaggedByFtNamesItsSecondaryUntilThatSecondaryOwnsTheVm() {
    String tag = OwnerRecord.ftTag("h2", "0123abcd");
    assertThat(new OwnerRecord("h1", 4, tag).ftSecondary()).isEqualTo("h2");
    // Promoted: h2 owns the VM under the tag it resumed with; nothing protects it any more.
    assertThat(new OwnerRecord("h2", 5, tag).ftSecondary()).isNull();
    assertThat(new OwnerRecord("h1", 4, "0123abcd").ftSecondary()).as("a migration's tag").isNull();
    assertThat(new OwnerRecord("h1", 4).ftSecondary()).isNull();
  }
}
