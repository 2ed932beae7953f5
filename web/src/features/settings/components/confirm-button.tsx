import { useState, type ReactNode } from 'react';
import { Button, Group, Modal, Text } from '@mantine/core';

/** A destructive action behind a confirmation dialog: `label` opens it, `confirm` does it. */
export function ConfirmButton({
  label,
  title,
  confirm,
  children,
  loading,
  onConfirm,
  ariaLabel,
}: {
  label: string;
  title: string;
  confirm: string;
  children: ReactNode;
  loading?: boolean;
  onConfirm: () => Promise<unknown>;
  ariaLabel?: string;
}) {
  const [open, setOpen] = useState(false);
  // A failure shows where the caller shows its mutation's error.
  const close = () => setOpen(false);
  return (
    <>
      <Button size="xs" variant="light" color="red" onClick={() => setOpen(true)} aria-label={ariaLabel}>
        {label}
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={title}>
        <Text size="sm">{children}</Text>
        <Group justify="end" mt="md">
          <Button variant="default" onClick={() => setOpen(false)}>
            Keep it
          </Button>
          <Button color="red" loading={loading} onClick={() => onConfirm().then(close, close)}>
            {confirm}
          </Button>
        </Group>
      </Modal>
    </>
  );
}
