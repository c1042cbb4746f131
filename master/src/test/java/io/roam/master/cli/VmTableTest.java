package io.roam.master.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.proto.VmInfo;
import io.roam.proto.VmSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** `roamctl vm ls`: the FT column says each VM's protection in a word, and its secondary's host. */
class VmTableTest {
  private static VmInfo vm(String name, String ft, String secondary) {
    return VmInfo.newBuilder().setSpec(VmSpec.newBuilder().setName(name).setProgram("kv").setMemoryBytes(1 << 28))
        .setHost("h1").setDesiredState("RUNNING").setFtState(ft).setFtSecondary(secondary).build();
  }

  private static String render(boolean wide, VmInfo... vms) {
    Table t = Roamctl.VmCmd.vmTable(wide);
    for (VmInfo v : vms) {
      t.row(Roamctl.VmCmd.vmRow(v, wide));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    t.print(new PrintStream(out, true, StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8);
  }

  /** The cell starting at {@code column}: up to the two spaces that separate columns. */
  private static String cell(String line, int column) {
    return line.substring(column).split(" {2}")[0].strip();
  }

  @Test
  void theFtColumnShowsTheStateAndTheSecondarysHost() {
    for (boolean wide : new boolean[] {false, true}) {
      String[] lines = render(wide, vm("plain", "not protected", ""), vm("guarded", "protected", "h3"),
          vm("seeding", "starting", ""), vm("homeless", "needs secondary", "")).split("\n");
      int ft = lines[0].indexOf("FT");
      assertThat(ft).as(lines[0]).isPositive();
      assertThat(cell(lines[1], ft)).isEqualTo("-");
      assertThat(cell(lines[2], ft)).isEqualTo("protected (h3)");
      assertThat(cell(lines[3], ft)).isEqualTo("starting");
      assertThat(cell(lines[4], ft)).isEqualTo("needs secondary");
    }
  }
}
