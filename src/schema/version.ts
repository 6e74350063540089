import { builder } from "./builder.js";

builder.prismaObject("Version", {
  description: "The osquery and operating-system versions a snapshot saw.",
  fields: (t) => ({
    osqueryVersion: t.exposeString("osqueryVersion"),
    osName: t.exposeString("osName"),
    osVersion: t.exposeString("osVersion"),
    platform: t.exposeString("platform", { description: "osquery's platform name: darwin, ubuntu, rhel, windows, ..." }),
    arch: t.exposeString("arch", { nullable: true }),
    build: t.exposeString("build", { nullable: true }),
  }),
});
