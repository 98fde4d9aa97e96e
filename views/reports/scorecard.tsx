/**
 * The scorecard as a fragment for the console (stable root id "scorecard"; props only, no
 * queries). It reuses the console's badge classes (green → badge-pass, amber → badge-warn,
 * red → badge-fail, grey → badge-unknown), so console.css styles it; no inline styles.
 */
import type { FC } from "hono/jsx";
import { percentInState, type ControlScore, type ControlState } from "../../src/agent/compliance/scorecard.js";

const BADGE: Record<ControlState, string> = { green: "badge badge-pass", amber: "badge badge-warn", red: "badge badge-fail", grey: "badge badge-unknown" };
const LABEL: Record<ControlState, string> = { green: "Green", amber: "Amber", red: "Red", grey: "No evidence" };

/** One row per control: state, why, citation, and the share of time green/amber/red per window. */
export const ScorecardTable: FC<{ scores: readonly ControlScore[] }> = ({ scores }) => {
  const days = scores[0]?.history.map((h) => h.days) ?? [];
  return (
    <table id="scorecard" class="scorecard">
      <thead>
        <tr>
          <th scope="col">Control</th>
          <th scope="col">State</th>
          <th scope="col">Why</th>
          <th scope="col">HIPAA</th>
          {days.map((d) => (
            <th scope="col">
              Last {d} days
              <br />
              <small>green / amber / red / none</small>
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {scores.map((s) => (
          <tr id={`scorecard-${s.control.id}`} data-state={s.state}>
            <th scope="row">{s.control.title}</th>
            <td>
              <span class={BADGE[s.state]}>{LABEL[s.state]}</span>
            </td>
            <td>{s.reason}</td>
            <td>
              {s.control.citations.join(", ")} ({s.control.requirement})
            </td>
            {s.history.map((h) => {
              const p = percentInState(h.ms);
              return (
                <td>
                  {p.green}% / {p.amber}% / {p.red}% / {p.grey}%
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
};
