import type { ValidationInput, ValidationResult } from "@ccam/ccam";

/** The rule engine as the workflow sees it: `ReferentialService.validate`, over the loaded versions. */
export interface CodeValidator {
  validate(input: ValidationInput): ValidationResult;
}
