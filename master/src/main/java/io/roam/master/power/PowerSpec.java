package io.roam.master.power;

import java.util.List;

/**
 * One power driver as the masters' configuration defines it ({@code power.drivers}, see {@link
 * PowerDriverCatalog}). Holds no secret: an IPMI password is read from {@code passwordFile} on the
 * master at the moment of use, and handed to ipmitool through its environment, never on a command
 * line or in a log. Nothing here ever comes from an API request: the API only names a spec.
 *
 * @param driver "ipmi", "wol" or "process"
 * @param address ipmi: the BMC's address; wol: the broadcast address (default 255.255.255.255)
 * @param user ipmi: BMC user
 * @param passwordFile ipmi: file holding the BMC password, on the masters, mode 0600
 * @param mac wol: the host's MAC address
 * @param command process: the agent's command line
 * @param pidFile process: where the started process's pid is kept
 */
public record PowerSpec(String driver, String address, String user, String passwordFile, String mac,
    List<String> command, String pidFile) {
  public PowerSpec {
    command = command == null ? List.of() : List.copyOf(command);
  }
}
