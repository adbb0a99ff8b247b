/**
 * The typed client against a running suite (`make run`): sign demo citizen 张三 in through
 * 东莞交警 (dgjj), list his violations, read 大朗镇's forecast.
 *
 *   node dist/example.js [gateway URL] [citizen]
 *
 * The gateway URL defaults to $GUANWEI_URL, then http://127.0.0.1:8000; the citizen to zhangsan.
 */
import { createGuanweiClient, DEFAULT_BASE_URL, type Ok, unwrap } from "./client.js";
import { devSignIn } from "./dev-signin.js";

type ViolationPage = Ok<"/api/v1/traffic/me/violations">;
type Forecast = Ok<"/api/v1/weather/forecasts/{location_code}">;

// Exhaustive over the document's enum: a status added or renamed there fails `tsc` here.
const STATUS: Record<ViolationPage["items"][number]["status"], string> = {
  unhandled: "未处理",
  decided_unpaid: "已处理未缴款",
  paid: "已缴款",
};

const yuan = (fen: number): string => `¥${(fen / 100).toFixed(2)}`;

function printViolations(page: ViolationPage): void {
  console.log(`交通违法 ${page.total} 条，截至 ${page.on} 应缴合计 ${yuan(page.amount_due_fen)}`);
  for (const v of page.items) {
    console.log(
      `  #${v.id} ${v.plate} ${v.occurred_at} ${v.place}：${v.description}` +
        `（${STATUS[v.status]}，记 ${v.points} 分，应缴 ${yuan(v.amount_due_fen)}）`,
    );
  }
}

function printForecast(forecast: Forecast): void {
  const { location } = forecast;
  console.log(
    `${location.name}（${location.code}）${forecast.forecast_date} 起预报，来源 ${forecast.source}`,
  );
  for (const w of forecast.warnings) {
    console.log(`  预警：${w.area_name} ${w.name}`);
  }
  for (const day of forecast.days) {
    const temperature = `${day.temp_min_c}~${day.temp_max_c}°C`;
    console.log(`  ${day.date} ${day.text} ${temperature} 降水概率 ${day.rain_probability}%`);
  }
}

async function main(): Promise<void> {
  const baseUrl = process.argv[2] ?? process.env.GUANWEI_URL ?? DEFAULT_BASE_URL;
  const citizen = process.argv[3] ?? "zhangsan";

  const grant = await devSignIn(baseUrl, "dgjj", citizen);
  console.log(`已登录：${citizen}（citizen_id ${grant.citizen_id}）`);
  const api = createGuanweiClient(baseUrl, grant.access_token);

  printViolations(
    unwrap(
      "violations",
      await api.GET("/api/v1/traffic/me/violations", { params: { query: { limit: 100 } } }),
    ),
  );
  printForecast(
    unwrap(
      "forecast",
      await api.GET("/api/v1/weather/forecasts/{location_code}", {
        params: { path: { location_code: "dalang" } },
      }),
    ),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
