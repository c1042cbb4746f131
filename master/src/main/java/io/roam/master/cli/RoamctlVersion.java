package io.roam.master.cli;

import io.roam.common.BuildInfo;
import picocli.CommandLine.IVersionProvider;

/** {@code --version} of every roamctl command: the version of the jar roamctl runs from. */
final class RoamctlVersion implements IVersionProvider {
  @Override
  public String[] getVersion() {
    return new String[] {"roamctl " + BuildInfo.version(Roamctl.class)};
  }
}
