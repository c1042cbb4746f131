package io.roam.master.drs;

import io.roam.common.Sizes;
import io.roam.master.drs.model.ClusterSnapshot;
import io.roam.master.drs.model.HostView;
import io.roam.master.drs.model.VmView;
import java.util.Set;

/**
 * HA admission control (vSphere's "host failures cluster tolerates", on memory): the VMs that run
 * must fit on the hosts that are left after the {@code failures} largest hosts fail. A VM is not
 * powered on, and DPM does not power a host off, if that would break it; HA restarts do not ask
 * (the reserve is there for them). Guest memory is the resource: Roam's VMs hold all of theirs.
 *
 * <p>A reserve is kept for at most all hosts but one ({@link #tolerable}): with every host failed
 * nothing could be restarted anywhere, so a larger reserve would protect nothing and only refuse
 * every start (on one host, the shipped {@code ha.host-failures 1} refused them all). Hosts are
 * counted in any state, so a two-host cluster with one host down or in maintenance still keeps its
 * reserve for one failure.
 */
public final class AdmissionControl {
  private AdmissionControl() {}

  /** The host failures a reserve is kept for: {@code failures}, but at most all hosts but one. */
  public static int tolerable(ClusterSnapshot snapshot, int failures) {
    return Math.max(0, Math.min(failures, snapshot.hosts().size() - 1));
  }

  /**
   * Why the cluster could not keep its reserve with {@code extraMemory} more running and the
   * hosts in {@code leaving} gone, or null when it can.
   */
  public static String check(ClusterSnapshot snapshot, int failures, long extraMemory, Set<String> leaving) {
    int tolerated = tolerable(snapshot, failures);
    if (tolerated == 0) {
      return null;
    }
    long[] sizes = snapshot.hosts().stream()
        .filter(h -> h.mode().takesVms() && !leaving.contains(h.name()))
        .mapToLong(HostView::memoryBytes).sorted().toArray();
    long capacity = 0;
    for (int i = 0; i < sizes.length - tolerated; i++) {
      capacity += sizes[i]; // the smallest ones survive the worst case
    }
    long needed = extraMemory + snapshot.vms().stream().mapToLong(VmView::memoryBytes).sum();
    if (needed <= capacity) {
      return null;
    }
    return "admission control: with " + tolerated + " host failure(s) tolerated, the running VMs" + (extraMemory > 0
        ? " and this one" : "") + " need " + Sizes.format(needed) + " of guest memory but only "
        + Sizes.format(capacity) + " would be left after losing the largest " + tolerated + " of " + sizes.length
        + " connected hosts";
  }
}
