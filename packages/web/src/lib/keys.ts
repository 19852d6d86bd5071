import type { KeyboardEvent } from "react";

/** A form's onKeyDown: Ctrl+Enter (⌘+Enter on a Mac) submits it from any field, the app's save shortcut. */
export function submitOnCtrlEnter(submit: () => unknown) {
  return (event: KeyboardEvent) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void submit();
    }
  };
}
