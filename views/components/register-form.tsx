/** A register's fields as form inputs, generated from its field table (one declaration per field). */
import type { FC } from "hono/jsx";

export interface FieldView {
  name: string;
  label: string;
  type: "text" | "multiline" | "date" | "enum" | "number";
  required: boolean;
  max?: number | undefined;
  values?: readonly string[] | undefined;
}

/** Inputs for every field, prefilled with `values` (what was typed, or the row being edited). */
export const RegisterFields: FC<{ fields: readonly FieldView[]; values: Record<string, string>; prefix: string }> = ({ fields, values, prefix }) => (
  <>
    {fields.map((f) => {
      const id = `${prefix}-${f.name}`;
      const v = values[f.name] ?? "";
      return (
        <>
          <label for={id}>
            {f.label}
            {f.required ? " (required)" : ""}
          </label>
          {f.type === "multiline" ? (
            <textarea id={id} name={f.name} rows={3} maxlength={f.max} required={f.required}>
              {v}
            </textarea>
          ) : f.type === "enum" ? (
            <select id={id} name={f.name} required={f.required}>
              {f.required ? null : <option value="">—</option>}
              {(f.values ?? []).map((x) => (
                <option value={x} selected={x === v}>
                  {x}
                </option>
              ))}
            </select>
          ) : f.type === "date" ? (
            <input id={id} name={f.name} type="date" value={v} required={f.required} />
          ) : f.type === "number" ? (
            <input id={id} name={f.name} inputmode="decimal" pattern="[0-9]{1,6}([.][0-9]{1,3})?" value={v} required={f.required} />
          ) : (
            <input id={id} name={f.name} value={v} maxlength={f.max} required={f.required} />
          )}
        </>
      );
    })}
  </>
);
