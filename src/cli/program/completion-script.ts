/**
 * Shell completion generated from the commander program itself (commands, their flags, the
 * kinds), so it never goes stale; object names are completed by asking `swarmop get KIND -o name`.
 * zsh runs the same function through bashcompinit.
 */
import type { Command } from 'commander';
import { KINDS } from '../../crds/index.js';

/** Commands whose first positional argument is a kind and the next ones its objects. */
const RESOURCE_VERBS = ['get', 'describe', 'delete', 'edit', 'patch', 'label', 'annotate', 'explain'];

function flagsOf(cmd: Command): string[] {
  return cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => typeof f === 'string'));
}

/** Flags that take a value (so the word after them is not a command or a name). */
function valueFlagsOf(cmd: Command): string[] {
  return cmd.options
    .filter((o) => o.required || o.optional)
    .flatMap((o) => [o.long, o.short].filter((f): f is string => typeof f === 'string'));
}

function shellWords(words: readonly string[]): string {
  return words.join(' ');
}

export function bashCompletion(program: Command): string {
  const commands = program.commands.map((c) => c.name());
  const kinds = KINDS.flatMap((k) => [k.singular, k.plural, ...k.shortNames]);
  const globalFlags = [...flagsOf(program), '--help'];
  const valueFlags = [...valueFlagsOf(program), ...program.commands.flatMap(valueFlagsOf)];
  const perCommand = program.commands
    .map((c) => {
      const subs = c.commands.map((s) => s.name());
      return `    ${c.name()}) flags="${shellWords([...flagsOf(c), '--help'])}"; subs="${shellWords(subs)}" ;;`;
    })
    .join('\n');
  return `# swarmop completion for bash (and zsh through bashcompinit).
# bash: source <(swarmop completion bash)    zsh: source <(swarmop completion zsh)
_swarmop_value_flag() {
  case "$1" in ${shellWords([...new Set(valueFlags)])
    .split(' ')
    .join('|')}) return 0 ;; esac
  return 1
}
_swarmop() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  local cmd="" i w skip=0
  local -a args=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if ((skip)); then skip=0; continue; fi
    case "$w" in
      *=*) continue ;;
      -*) _swarmop_value_flag "$w" && skip=1; continue ;;
    esac
    if [[ -z "$cmd" ]]; then cmd="$w"; else args+=("$w"); fi
  done
  if [[ -z "$cmd" ]]; then
    COMPREPLY=($(compgen -W "${shellWords(commands)} ${shellWords(globalFlags)}" -- "$cur"))
    return 0
  fi
  local flags="" subs=""
  case "$cmd" in
${perCommand}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags ${shellWords(globalFlags)}" -- "$cur"))
    return 0
  fi
  if [[ -n "$subs" && \${#args[@]} -eq 0 ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
    return 0
  fi
  if [[ "$cmd" == completion ]]; then
    COMPREPLY=($(compgen -W "bash zsh" -- "$cur"))
    return 0
  fi
  case "$cmd" in
    ${RESOURCE_VERBS.join('|')})
      if [[ \${#args[@]} -eq 0 ]]; then
        COMPREPLY=($(compgen -W "${shellWords(kinds)} all" -- "$cur"))
      else
        local names
        names=$(swarmop get "\${args[0]}" -o name 2>/dev/null | sed 's|^[^/]*/||')
        COMPREPLY=($(compgen -W "$names" -- "$cur"))
      fi
      ;;
    wait)
      local all
      all=$(swarmop get all -o name 2>/dev/null)
      COMPREPLY=($(compgen -W "$all" -- "$cur"))
      ;;
    config)
      if [[ \${#args[@]} -eq 1 ]]; then
        case "\${args[0]}" in use-context|set-context|delete-context)
          COMPREPLY=($(compgen -W "$(swarmop config get-contexts -o name 2>/dev/null)" -- "$cur")) ;;
        esac
      fi
      ;;
    *) COMPREPLY=($(compgen -f -- "$cur")) ;;
  esac
  return 0
}
complete -o default -F _swarmop swarmop
`;
}

export function zshCompletion(program: Command): string {
  return `#compdef swarmop
# swarmop completion for zsh: source <(swarmop completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program)}`;
}
