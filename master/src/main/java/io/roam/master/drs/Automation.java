package io.roam.master.drs;

/** How much DRS may do by itself (vSphere's levels), for the cluster or one VM. */
public enum Automation {
  /** DRS only recommends: initial placement and moves wait for an operator. */
  MANUAL,
  /** New VMs are placed automatically; moves are recommended. */
  PARTIAL,
  /** Placement and moves are carried out. */
  FULL,
  /** (Per VM only) DRS leaves the VM where it is; it blocks maintenance of its host. */
  DISABLED
}
