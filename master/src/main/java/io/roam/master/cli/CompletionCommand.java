package io.roam.master.cli;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * `roamctl completion bash|zsh`: a shell completion script for every command and option, generated
 * from roamctl's own command model (picocli's generator), so it never lags behind the commands.
 */
@Command(name = "completion", mixinStandardHelpOptions = true,
    description = {"Print a shell completion script for roamctl.",
        "bash: source <(roamctl completion bash)   (or save it in /etc/bash_completion.d/roamctl)",
        "zsh:  source <(roamctl completion zsh)    (in ~/.zshrc; it loads zsh's bash completion support)"})
final class CompletionCommand extends Roamctl.Leaf {
  enum Shell { bash, zsh }

  @Parameters(paramLabel = "SHELL", description = "${COMPLETION-CANDIDATES}")
  Shell shell;

  @Override
  public Integer call() {
    String script = AutoComplete.bash("roamctl", new CommandLine(new Roamctl()));
    if (shell == Shell.zsh) {
      // picocli's script is a bash completion; zsh runs it through its bashcompinit layer.
      script = "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n" + script;
    }
    out().print(script);
    out().flush();
    return Roamctl.OK;
  }
}
