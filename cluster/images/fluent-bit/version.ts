/** Prints the Fluent Bit version(s) the configured aws-for-fluent-bit pins bundle, one per line (for cluster/install.sh). */
import { loadEnvironments } from '../../../manifests-src/config';
import { bundledFluentBit } from '../catalog';

for (const v of new Set(loadEnvironments().map((e) => bundledFluentBit(e.images.fluentBit.tag)))) console.log(v);
