import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { NomenslandTables } from "../domain/enrich.js";

/** Loads the ATIH/CNAM tables used for enrichment; a missing folder yields `undefined` (enrichment is optional). */
export async function readNomensland(dir: string): Promise<NomenslandTables | undefined> {
  if (!existsSync(join(dir, "ccam_actes.json.gz"))) return undefined;
  const load = async <T>(name: string): Promise<T[]> => {
    const path = join(dir, `${name}.json.gz`);
    if (!existsSync(path)) return [];
    return JSON.parse(gunzipSync(await readFile(path)).toString("utf8")) as T[];
  };
  const [acts, icr, regroupements, modifierLabels] = await Promise.all([
    load<NomenslandTables["acts"][number]>("ccam_actes"),
    load<NomenslandTables["icr"][number]>("ccam_icr"),
    load<NomenslandTables["regroupements"][number]>("ccam_regroupement"),
    load<NomenslandTables["modifierLabels"][number]>("ccam_libelle_modificateur"),
  ]);
  return { acts, icr, regroupements, modifierLabels };
}
