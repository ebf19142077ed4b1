// A completion script made from the commands' own flag lists: the first word completes to a
// command, later words starting with "-" to that command's flags, others to file names.
export function completionScript(bin: string, commands: Array<{id: string; flags: string[]}>, shell: 'bash' | 'zsh'): string {
  const fn = `_${bin.replace(/[^a-zA-Z0-9]/g, '_')}_complete`
  const cases = commands.map((c) => `    ${c.id}) flags="${[...c.flags, '--help'].sort().join(' ')}" ;;`).join('\n')
  const script = `${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" command="\${COMP_WORDS[1]}" flags=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${commands.map((c) => c.id).sort().join(' ')}" -- "$cur") )
    return
  fi
  case "$command" in
${cases}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$flags" -- "$cur") )
  else
    COMPREPLY=( $(compgen -f -- "$cur") )
  fi
}
complete -o filenames -F ${fn} ${bin}
`
  return shell === 'zsh' ? `autoload -U +X bashcompinit && bashcompinit\n${script}` : script
}
