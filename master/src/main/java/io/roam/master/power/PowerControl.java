package io.roam.master.power;

import java.util.Optional;

/** The power driver of a host, if it has one (built from its stored spec when asked). */
public interface PowerControl {
  Optional<PowerDriver> driver(String host) throws Exception;
}
