package io.roam.agent.guest;

import io.roam.agent.guest.programs.CpuProgram;
import io.roam.agent.guest.programs.IdleProgram;
import io.roam.agent.guest.programs.KvProgram;
import io.roam.agent.guest.programs.MemStressProgram;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/** Finds a guest program by name: a built-in one, or a user's class from a jar. */
public final class Programs {
  private static final Map<String, Supplier<GuestProgram>> BUILT_IN = Map.of(
      "kv", KvProgram::new,
      "memstress", MemStressProgram::new,
      "cpu", CpuProgram::new,
      "idle", IdleProgram::new);

  private Programs() {}

  public static Set<String> builtInNames() {
    return new TreeSet<>(BUILT_IN.keySet());
  }

  public static boolean isBuiltIn(String name) {
    return BUILT_IN.containsKey(name);
  }

  /**
   * Instantiates a program.
   *
   * @param jar a jar holding {@code name} as a class, or null for a built-in program
   * @throws IllegalArgumentException naming what is wrong (unknown program, missing jar or class)
   */
  public static GuestProgram instantiate(String name, Path jar) {
    if (jar == null) {
      Supplier<GuestProgram> s = BUILT_IN.get(name);
      if (s == null) {
        throw new IllegalArgumentException("unknown program '" + name + "'; built-in programs are " + builtInNames()
            + ", or give a class name with a jar");
      }
      return s.get();
    }
    if (!Files.isReadable(jar)) {
      throw new IllegalArgumentException("program jar " + jar + " does not exist or is not readable");
    }
    try {
      URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, Programs.class.getClassLoader());
      Class<?> c = Class.forName(name, true, loader);
      if (!GuestProgram.class.isAssignableFrom(c)) {
        throw new IllegalArgumentException("class " + name + " in " + jar + " does not implement " + GuestProgram.class.getName());
      }
      return (GuestProgram) c.getDeclaredConstructor().newInstance();
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException("class " + name + " not found in " + jar);
    } catch (ReflectiveOperationException | java.net.MalformedURLException e) {
      throw new IllegalArgumentException("cannot instantiate " + name + " from " + jar + ": " + e);
    }
  }
}
