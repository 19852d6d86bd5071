import { foldText } from "@ccam/ccam";
import { labelRanges, textQuantities } from "../dist/quantities.js";
console.log(JSON.stringify(textQuantities(foldText(process.argv[2]))));
console.log(JSON.stringify(labelRanges(foldText(process.argv[3]))));
